// An independent float64 reader of a layer's K/V, written from the documented byte layouts
// (policies.md §10, @kvkit/tensor kv-format.ts): int8 blocks, KIVI codes/groups/residual rings.
import type { KiviFormat, KvView } from '@kvkit/tensor';
import { CpuBackend, DEAD_POSITION, f16BitsToF32 } from '@kvkit/tensor';

export interface Token {
  p: number;
  k: number[];
  v: number[];
}

const cpu = new CpuBackend();
const bytesOf = async (t: KvView['k']) => Uint8Array.from(await cpu.read(t)); // u8 tensors read back as values 0..255
const f16 = (b: Uint8Array, o: number) => f16BitsToF32(b[o]! | (b[o + 1]! << 8));
const code = (b: Uint8Array, o: number, c: number, bits: number) => (b[o + ((c * bits) >> 3)]! >> ((c * bits) & 7)) & ((1 << bits) - 1);

/** Live tokens of head h in logical order, dequantised in float64. */
export async function readHead(view: KvView, h: number): Promise<Token[]> {
  const d = view.headDim;
  const f = view.format ?? { kind: 'f32' };
  const cap = view.pagesPerHead * view.pageSize;
  const slot = (j: number) => view.pageTable[h * view.pagesPerHead + Math.floor(j / view.pageSize)]! * view.pageSize + (j % view.pageSize);
  const out: Token[] = [];
  const kAll = f.kind === 'f32' || f.kind === 'f16' || f.kind === 'bf16' ? await cpu.read(view.k) : undefined;
  const vAll = kAll ? await cpu.read(view.v) : undefined;
  const kb = kAll ? undefined : await bytesOf(view.k);
  const vb = kAll ? undefined : await bytesOf(view.v);
  let kivi: { f: KiviFormat; params: Uint8Array; rk: Float32Array; rv: Float32Array } | undefined;
  if (f.kind === 'kivi') kivi = { f, params: await bytesOf(f.keyParams), rk: await cpu.read(f.residualK), rv: await cpu.read(f.residualV) };
  for (let j = 0; j < view.lengths[h]!; j++) {
    const p = view.positions[h * cap + j]!;
    if (p === DEAD_POSITION) continue;
    const s = slot(j);
    const k: number[] = [];
    const v: number[] = [];
    if (kAll && vAll) {
      for (let c = 0; c < d; c++) {
        k.push(kAll[s * d + c]!);
        v.push(vAll[s * d + c]!);
      }
    } else if (f.kind === 'int8') {
      // per block of min(32, d) values: f16 scale, then int8 codes
      const block = Math.min(32, d);
      const row = d + 2 * Math.ceil(d / block);
      for (const [src, dst] of [[kb!, k], [vb!, v]] as const) {
        for (let c = 0; c < d; c++) {
          const o = s * row + Math.floor(c / block) * (block + 2);
          dst.push(((src[o + 2 + (c % block)]! << 24) >> 24) * f16(src, o));
        }
      }
    } else if (kivi) {
      const { f: kf, params, rk, rv } = kivi;
      const R = kf.residual;
      const ring = (h * R + ((j + kf.ringBase[h]!) % R)) * d;
      const codes = Math.ceil((d * kf.bits) / 8);
      const g = Math.min(kf.group, d);
      for (let c = 0; c < d; c++) {
        if (j >= kf.keyQuantized[h]!) k.push(rk[ring + c]!);
        else {
          const po = Math.floor(s / kf.group) * 4 * d + 4 * c;
          k.push(code(kb!, s * codes, c, kf.bits) * f16(params, po) + f16(params, po + 2));
        }
        if (j >= kf.valueQuantized[h]!) v.push(rv[ring + c]!);
        else {
          const row = codes + 4 * Math.ceil(d / g);
          const po = s * row + codes + 4 * Math.floor(c / g);
          v.push(code(vb!, s * row, c, kf.bits) * f16(vb!, po) + f16(vb!, po + 2));
        }
      }
    }
    out.push({ p, k, v });
  }
  return out;
}
