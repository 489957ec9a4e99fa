// Attention of m queries over a paged per-KV-head cache view. Scores are computed one query row at a
// time (never an m x n matrix), which is also where the policy statistics are accumulated.
import type { AttentionOptions } from '../../backend.js';
import { InvalidArgumentError, ShapeMismatchError } from '../../errors.js';
import type { KvView } from '../../kv-view.js';
import { viewCapacity } from '../../kv-view.js';
import type { CpuTensor } from '../cpu-tensor.js';
import { asCpu, rowsCols } from '../cpu-tensor.js';
import { attentionQuantized } from './attention-quantized.js';

export function attention(out: CpuTensor, q: CpuTensor, queryPositions: Int32Array, view: KvView, opts: AttentionOptions): void {
  const { nHeads, scale } = opts;
  const { nKvHeads, headDim: d, pageSize, pagesPerHead, pageTable, lengths, positions } = view;
  const [m, width] = rowsCols(q);
  if (width !== nHeads * d || out.size !== q.size || queryPositions.length !== m) {
    throw new ShapeMismatchError(`attention: q[${m}, ${width}] for ${nHeads} heads of ${d}, out[${out.size}], ${queryPositions.length} positions`);
  }
  if (nHeads % nKvHeads) throw new InvalidArgumentError(`attention: ${nHeads} query heads over ${nKvHeads} KV heads`);
  if (view.format && view.format.kind !== 'f32') {
    for (const s of [opts.stats?.columnSums, opts.stats?.windowSums]) {
      if (s && s.shape.reduce((a, b) => a * b, 1) !== nHeads * viewCapacity(view)) throw new ShapeMismatchError(`attention stats need [${nHeads}, ${viewCapacity(view)}]`);
    }
    return attentionQuantized(out, q, queryPositions, view, opts, m);
  }
  const [poolSlots, kd] = rowsCols(asCpu(view.k));
  const [vSlots, vd] = rowsCols(asCpu(view.v));
  if (kd !== d || vd !== d || vSlots !== poolSlots) {
    throw new ShapeMismatchError(`attention: K pool [${poolSlots}, ${kd}] and V pool [${vSlots}, ${vd}] for head dim ${d}`);
  }
  const cap = viewCapacity(view);
  const group = nHeads / nKvHeads;
  const ks = asCpu(view.k).f32;
  const vs = asCpu(view.v).f32;
  const qs = q.f32;
  const os = out.f32;
  const win = opts.slidingWindow ?? Infinity;
  const colSums = opts.stats?.columnSums ? asCpu(opts.stats.columnSums).f32 : null;
  const winSums = opts.stats?.windowSums ? asCpu(opts.stats.windowSums).f32 : null;
  const winQueries = opts.stats?.window ?? 0;
  for (const s of [colSums, winSums]) {
    if (s && s.length !== nHeads * cap) throw new ShapeMismatchError(`attention stats need [${nHeads}, ${cap}], got ${s.length}`);
  }
  winSums?.fill(0);
  const p = new Float64Array(cap);
  const acc = new Float64Array(d);
  const slot = new Int32Array(cap);
  for (let kh = 0; kh < nKvHeads; kh++) {
    const len = lengths[kh]!;
    if (len > cap) throw new ShapeMismatchError(`attention: head ${kh} holds ${len} > capacity ${cap}`);
    for (let j = 0; j < len; j++) {
      const page = pageTable[kh * pagesPerHead + Math.floor(j / pageSize)]!;
      const at = page * pageSize + (j % pageSize);
      if (!(page >= 0 && at < poolSlots)) throw new InvalidArgumentError(`attention: head ${kh} slot ${j} maps to page ${page} outside the pool`);
      slot[j] = at * d;
    }
    const posBase = kh * cap;
    for (let h = kh * group; h < (kh + 1) * group; h++) {
      for (let i = 0; i < m; i++) {
        const qp = queryPositions[i]!;
        const qo = i * width + h * d;
        let max = -Infinity;
        for (let j = 0; j < len; j++) {
          const kp = positions[posBase + j]!;
          if (kp > qp || kp <= qp - win) {
            p[j] = -Infinity;
            continue;
          }
          const ko = slot[j]!;
          let s = 0;
          for (let c = 0; c < d; c++) s += qs[qo + c]! * ks[ko + c]!;
          s *= scale;
          p[j] = s;
          if (s > max) max = s;
        }
        acc.fill(0);
        let sum = 0;
        for (let j = 0; j < len; j++) {
          const e = p[j] === -Infinity ? 0 : Math.exp(p[j]! - max);
          p[j] = e;
          sum += e;
          if (e === 0) continue;
          const vo = slot[j]!;
          for (let c = 0; c < d; c++) acc[c] += e * vs[vo + c]!;
        }
        const inv = sum > 0 ? 1 / sum : 0;
        for (let c = 0; c < d; c++) os[qo + c] = acc[c]! * inv;
        if (colSums || (winSums && i >= m - winQueries)) {
          const so = h * cap;
          for (let j = 0; j < len; j++) {
            const a = p[j]! * inv;
            if (colSums) colSums[so + j] += a;
            if (winSums && i >= m - winQueries) winSums[so + j] += a;
          }
        }
      }
    }
  }
}
