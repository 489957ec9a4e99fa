// KIVI (policies.md §10): move the oldest residual tokens of one KV head into 2/4-bit pools —
// keys per channel over groups of G tokens, values per token over groups of G channels.
import { f16Table32 } from '../../f16.js';
import { InvalidArgumentError, UnsupportedDTypeError } from '../../errors.js';
import { kiviCodeBytes, kiviValueGroups } from '../../kv-format.js';
import type { KvView } from '../../kv-view.js';
import { asCpu } from '../cpu-tensor.js';
import { kiviCode, kiviParams, setCode } from './kv-codec.js';
import { half } from './kv-write.js';

export function kvQuantize(view: KvView, head: number, start: number, count: number, part: 'key' | 'value'): void {
  const f = view.format;
  if (f?.kind !== 'kivi') throw new UnsupportedDTypeError(`kvQuantize needs a KIVI view, got ${f?.kind ?? 'f32'}`);
  const { headDim: d, pageSize: ps, pagesPerHead } = view;
  const R = f.residual;
  const G = f.group;
  if (!(start >= 0 && count > 0 && start + count <= view.lengths[head]!)) throw new InvalidArgumentError(`kvQuantize: slots [${start}, ${start + count}) of ${view.lengths[head]}`);
  const ring = half(asCpu(part === 'key' ? f.residualK : f.residualV));
  const t = f16Table32();
  const ringRow = (j: number) => (head * R + ((j + f.ringBase[head]!) % R)) * d;
  const slotOf = (j: number) => view.pageTable[head * pagesPerHead + Math.floor(j / ps)]! * ps + (j % ps);
  const codeBytes = kiviCodeBytes(d, f.bits);
  const levels = f.bits;
  if (part === 'key') {
    if (start % G || count % G) throw new InvalidArgumentError(`kvQuantize: key groups must be whole groups of ${G}`);
    const pool = asCpu(view.k).bytes;
    const params = asCpu(f.keyParams).bytes;
    for (let g0 = start; g0 < start + count; g0 += G) {
      const group = slotOf(g0) / G; // groups never straddle pages: ps % G == 0
      for (let c = 0; c < d; c++) {
        let min = Infinity;
        let max = -Infinity;
        for (let j = g0; j < g0 + G; j++) {
          const x = t[ring[ringRow(j) + c]!]!;
          min = Math.min(min, x);
          max = Math.max(max, x);
        }
        const p = kiviParams(min, max, levels);
        const po = group * 4 * d + 4 * c;
        params[po] = p.scaleBits & 255;
        params[po + 1] = p.scaleBits >> 8;
        params[po + 2] = p.minBits & 255;
        params[po + 3] = p.minBits >> 8;
        for (let j = g0; j < g0 + G; j++) setCode(pool, slotOf(j) * codeBytes, c, levels, kiviCode(t[ring[ringRow(j) + c]!]!, p.min, p.scale, levels));
      }
    }
    return;
  }
  const pool = asCpu(view.v).bytes;
  const rowBytes = codeBytes + 4 * kiviValueGroups(d, G);
  const g = Math.min(G, d);
  for (let j = start; j < start + count; j++) {
    const o = slotOf(j) * rowBytes;
    for (let gi = 0; gi * g < d; gi++) {
      let min = Infinity;
      let max = -Infinity;
      for (let c = gi * g; c < Math.min(d, (gi + 1) * g); c++) {
        const x = t[ring[ringRow(j) + c]!]!;
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      const p = kiviParams(min, max, levels);
      const po = o + codeBytes + 4 * gi;
      pool[po] = p.scaleBits & 255;
      pool[po + 1] = p.scaleBits >> 8;
      pool[po + 2] = p.minBits & 255;
      pool[po + 3] = p.minBits >> 8;
      for (let c = gi * g; c < Math.min(d, (gi + 1) * g); c++) setCode(pool, o, c, levels, kiviCode(t[ring[ringRow(j) + c]!]!, p.min, p.scale, levels));
    }
  }
}


