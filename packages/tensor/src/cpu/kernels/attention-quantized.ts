// Attention over a cache view whose pools are f16/bf16, int8 blocks or KIVI: every key and value row
// is decoded once per call into a d-sized scratch inside the loop (never a full-precision copy of the
// cache), with an online softmax over the keys for all queries of the KV head's group at once.
import type { AttentionOptions } from '../../backend.js';
import { InvalidArgumentError } from '../../errors.js';
import type { KvView } from '../../kv-view.js';
import { viewCapacity } from '../../kv-view.js';
import { int8Layout, kiviCodeBytes, kiviValueGroups } from '../../kv-format.js';
import type { CpuTensor } from '../cpu-tensor.js';
import { asCpu } from '../cpu-tensor.js';
import { decodeHalfRow, decodeInt8Row, decodeKiviKeyRow, decodeKiviValueRow } from './kv-codec.js';
import { half } from './kv-write.js';

type RowReader = (head: number, j: number, slot: number, out: Float64Array) => void;

function readers(view: KvView): { key: RowReader; value: RowReader } {
  const f = view.format!;
  const d = view.headDim;
  const k = asCpu(view.k);
  const v = asCpu(view.v);
  switch (f.kind) {
    case 'f32': {
      const ks = k.f32;
      const vs = v.f32;
      return {
        key: (_h, _j, s, out) => { for (let c = 0; c < d; c++) out[c] = ks[s * d + c]!; },
        value: (_h, _j, s, out) => { for (let c = 0; c < d; c++) out[c] = vs[s * d + c]!; },
      };
    }
    case 'f16':
    case 'bf16': {
      const bf = f.kind === 'bf16';
      const kh = half(k);
      const vh = half(v);
      return { key: (_h, _j, s, out) => decodeHalfRow(kh, s * d, d, out, bf), value: (_h, _j, s, out) => decodeHalfRow(vh, s * d, d, out, bf) };
    }
    case 'int8': {
      const rb = int8Layout(d).slotBytes;
      return { key: (_h, _j, s, out) => decodeInt8Row(k.bytes, s * rb, d, out), value: (_h, _j, s, out) => decodeInt8Row(v.bytes, s * rb, d, out) };
    }
    case 'kivi': {
      const R = f.residual;
      const rk = half(asCpu(f.residualK));
      const rv = half(asCpu(f.residualV));
      const params = asCpu(f.keyParams).bytes;
      const kb = kiviCodeBytes(d, f.bits);
      const vb = kb + 4 * kiviValueGroups(d, f.group);
      const ring = (h: number, j: number) => (h * R + ((j + f.ringBase[h]!) % R)) * d;
      return {
        key: (h, j, s, out) =>
          j >= f.keyQuantized[h]! ? decodeHalfRow(rk, ring(h, j), d, out, false) : decodeKiviKeyRow(k.bytes, s * kb, params, Math.floor(s / f.group) * 4 * d, d, f.bits, out),
        value: (h, j, s, out) => (j >= f.valueQuantized[h]! ? decodeHalfRow(rv, ring(h, j), d, out, false) : decodeKiviValueRow(v.bytes, s * vb, d, f.bits, f.group, out)),
      };
    }
    default:
      throw new InvalidArgumentError(`unknown KV format ${String((f satisfies never as { kind?: unknown }).kind)}`);
  }
}

export function attentionQuantized(out: CpuTensor, q: CpuTensor, queryPositions: Int32Array, view: KvView, opts: AttentionOptions, m: number): void {
  const { nHeads, scale } = opts;
  const { nKvHeads, headDim: d, pageSize, pagesPerHead, pageTable, lengths, positions } = view;
  const width = nHeads * d;
  const cap = viewCapacity(view);
  const group = nHeads / nKvHeads;
  const { key, value } = readers(view);
  const qs = q.f32;
  const os = out.f32;
  const win = opts.slidingWindow ?? Infinity;
  const colSums = opts.stats?.columnSums ? asCpu(opts.stats.columnSums).f32 : null;
  const winSums = opts.stats?.windowSums ? asCpu(opts.stats.windowSums).f32 : null;
  const winQueries = opts.stats?.window ?? 0;
  winSums?.fill(0);
  const rows = group * m;
  const max = new Float64Array(rows);
  const sum = new Float64Array(rows);
  const acc = new Float64Array(rows * d);
  const kr = new Float64Array(d);
  const vr = new Float64Array(d);
  const visible = (qp: number, kp: number) => kp <= qp && kp > qp - win;
  for (let kh = 0; kh < nKvHeads; kh++) {
    const len = lengths[kh]!;
    max.fill(-Infinity);
    sum.fill(0);
    acc.fill(0);
    const slotOf = (j: number) => {
      const page = pageTable[kh * pagesPerHead + Math.floor(j / pageSize)]!;
      if (page < 0) throw new InvalidArgumentError(`attention: head ${kh} slot ${j} has no page`);
      return page * pageSize + (j % pageSize);
    };
    for (let j = 0; j < len; j++) {
      const kp = positions[kh * cap + j]!;
      const s = slotOf(j);
      let decoded = false;
      for (let r = 0; r < rows; r++) {
        const i = r % m;
        if (!visible(queryPositions[i]!, kp)) continue;
        if (!decoded) {
          key(kh, j, s, kr);
          value(kh, j, s, vr);
          decoded = true;
        }
        const qo = i * width + (kh * group + Math.floor(r / m)) * d;
        let dot = 0;
        for (let c = 0; c < d; c++) dot += qs[qo + c]! * kr[c]!;
        dot *= scale;
        // Online softmax: rescale what was accumulated when the running max grows.
        if (dot > max[r]!) {
          const f = Math.exp(max[r]! - dot);
          sum[r]! *= f;
          for (let c = 0; c < d; c++) acc[r * d + c]! *= f;
          max[r] = dot;
        }
        const e = Math.exp(dot - max[r]!);
        sum[r]! += e;
        for (let c = 0; c < d; c++) acc[r * d + c]! += e * vr[c]!;
      }
    }
    for (let r = 0; r < rows; r++) {
      const i = r % m;
      const qo = i * width + (kh * group + Math.floor(r / m)) * d;
      const inv = sum[r]! > 0 ? 1 / sum[r]! : 0;
      for (let c = 0; c < d; c++) os[qo + c] = acc[r * d + c]! * inv;
    }
    if (!colSums && !winSums) continue;
    // Statistics need the final probabilities: a second pass over the keys.
    for (let j = 0; j < len; j++) {
      const kp = positions[kh * cap + j]!;
      let decoded = false;
      for (let r = 0; r < rows; r++) {
        const i = r % m;
        if (!visible(queryPositions[i]!, kp) || sum[r]! === 0) continue;
        if (!decoded) {
          key(kh, j, slotOf(j), kr);
          decoded = true;
        }
        const h = kh * group + Math.floor(r / m);
        const qo = i * width + h * d;
        let dot = 0;
        for (let c = 0; c < d; c++) dot += qs[qo + c]! * kr[c]!;
        const p = Math.exp(dot * scale - max[r]!) / sum[r]!;
        if (colSums) colSums[h * cap + j] += p;
        if (winSums && i >= m - winQueries) winSums[h * cap + j] += p;
      }
    }
  }
}
