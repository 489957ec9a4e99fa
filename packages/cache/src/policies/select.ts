import { InvalidArgumentError, ShapeMismatchError } from '@kvkit/tensor';

/** How per-query-head scores become per-KV-head scores (spec §0: mean by default). */
export type GqaReduce = 'mean' | 'max';

/** 1-D pooling of scores over positions (SnapKV family). */
export type Pooling = 'avg' | 'max';

/** A copy of `length` scores from `offset` in f64, NaN mapped to -Infinity so that it ranks last. */
function finiteCopy(scores: ArrayLike<number>, offset: number, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const v = scores[offset + i]!;
    out[i] = Number.isNaN(v) ? -Infinity : v;
  }
  return out;
}

function checkRange(total: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new InvalidArgumentError(`bad score range offset=${offset} length=${length}`);
  }
  if (offset + length > total) {
    throw new ShapeMismatchError(`score range ${offset}+${length} exceeds ${total} scores`);
  }
}

/**
 * The positions `0..length-1` of `scores[offset .. offset+length)` ordered best first: higher score
 * first, ties to the lower position (spec §0), NaN last. Every top-k of this order is a prefix of it,
 * which DynamicKV relies on (later truncations keep a subset of earlier ones).
 */
export function rankDescending(scores: ArrayLike<number>, offset = 0, length = scores.length - offset): Int32Array {
  checkRange(scores.length, offset, length);
  const v = finiteCopy(scores, offset, length);
  const order = new Int32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  // x - y is 0 only when x == y (gradual underflow); -Inf - -Inf is NaN, which `||` also treats as a tie.
  order.sort((a, b) => v[b]! - v[a]! || a - b);
  return order;
}

/**
 * The last `count` entries of `rankDescending(scores)`, worst first (lowest score, ties to the higher
 * position, NaN lowest): one pass keeping a sorted buffer when few are asked for (a decoding step
 * evicts one slot), the full ranking otherwise.
 */
export function worstRanked(scores: ArrayLike<number>, count: number): Int32Array {
  const length = scores.length;
  const k = Math.max(0, Math.min(count, length));
  if (k > 64) return rankDescending(scores).subarray(length - k).reverse();
  const v = finiteCopy(scores, 0, length);
  const out = new Int32Array(k);
  let held = 0;
  // i ascends, so a newcomer equal to a held score ranks below it (worse): it goes before it.
  for (let i = 0; i < length; i++) {
    const x = v[i]!;
    if (held === k) {
      if (k === 0 || x > v[out[k - 1]!]!) continue;
    } else held++;
    let at = held - 1;
    while (at > 0 && v[out[at - 1]!]! >= x) {
      out[at] = out[at - 1]!;
      at--;
    }
    out[at] = i;
  }
  return out;
}

/** The `k` best positions of `scores[offset .. offset+length)` (relative to `offset`), ascending. */
export function topK(scores: ArrayLike<number>, k: number, offset = 0, length = scores.length - offset): number[] {
  if (!Number.isSafeInteger(k) || k < 0) throw new InvalidArgumentError(`top-k needs a count >= 0, got ${k}`);
  const order = rankDescending(scores, offset, length);
  return ascending(order, k);
}

/** The first `k` entries of a best-first order, as ascending positions. */
export function ascending(order: Int32Array, k: number): number[] {
  const take = Math.min(k, order.length);
  const out = Array.from(order.subarray(0, take));
  out.sort((a, b) => a - b);
  return out;
}

/**
 * Given groups of scores, how many of the global top `total` fall in each group. Ties at the
 * threshold go to the lower group first, i.e. the order of the flattened index (group, position),
 * the order `torch.topk` favours on a flattened tensor. NaN ranks last.
 */
export function topCountsPerGroup(groups: readonly ArrayLike<number>[], total: number): number[] {
  const sizes = groups.map((g) => g.length);
  const all = sizes.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(total) || total < 0 || total > all) {
    throw new InvalidArgumentError(`cannot take the top ${total} of ${all} scores`);
  }
  const counts = new Array<number>(groups.length).fill(0);
  if (total === 0) return counts;
  const flat = new Float64Array(all);
  let o = 0;
  for (const g of groups) {
    flat.set(finiteCopy(g, 0, g.length), o);
    o += g.length;
  }
  const threshold = kthSmallest(flat, all - total); // the total-th largest; O(n), unlike a sort
  const ties = new Array<number>(groups.length).fill(0);
  let above = 0;
  groups.forEach((g, gi) => {
    for (let i = 0; i < g.length; i++) {
      const raw = g[i]!;
      const v = Number.isNaN(raw) ? -Infinity : raw;
      if (v > threshold) counts[gi]!++;
      else if (v === threshold) ties[gi]!++;
    }
    above += counts[gi]!;
  });
  let need = total - above;
  for (let gi = 0; gi < groups.length && need > 0; gi++) {
    const t = Math.min(ties[gi]!, need);
    counts[gi]! += t;
    need -= t;
  }
  return counts;
}

/** The `k`-th smallest value (0-based) of `a`, which it reorders: Hoare quickselect, median of three. */
export function kthSmallest(a: Float64Array, k: number): number {
  if (!Number.isSafeInteger(k) || k < 0 || k >= a.length) throw new InvalidArgumentError(`no element ${k} in ${a.length}`);
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/**
 * Per-query-head scores `[nHeads * n]` (query-head major) to per-KV-head scores `[nKvHeads * cols]`:
 * KV head `kh` reduces query heads `kh*g .. kh*g+g-1` (mean: summed in head order, then divided by g).
 * `cols <= n` keeps only the first `cols` positions of each row (policies score `j < n - w` only).
 */
export function gqaReduce(
  scores: ArrayLike<number>,
  nHeads: number,
  nKvHeads: number,
  n: number,
  mode: GqaReduce = 'mean',
  cols = n,
): Float64Array {
  if (!Number.isSafeInteger(nHeads) || !Number.isSafeInteger(nKvHeads) || nKvHeads < 1 || nHeads % nKvHeads !== 0) {
    throw new InvalidArgumentError(`nHeads ${nHeads} is not a multiple of nKvHeads ${nKvHeads}`);
  }
  if (!Number.isSafeInteger(n) || n < 0 || !Number.isSafeInteger(cols) || cols < 0 || cols > n) {
    throw new InvalidArgumentError(`bad row length n=${n} cols=${cols}`);
  }
  if (scores.length !== nHeads * n) {
    throw new ShapeMismatchError(`expected ${nHeads} x ${n} = ${nHeads * n} scores, got ${scores.length}`);
  }
  if (mode !== 'mean' && mode !== 'max') throw new InvalidArgumentError(`unknown GQA reduction ${String(mode)}`);
  const g = nHeads / nKvHeads;
  const out = new Float64Array(nKvHeads * cols);
  for (let kh = 0; kh < nKvHeads; kh++) {
    for (let j = 0; j < cols; j++) {
      let acc = scores[kh * g * n + j]!;
      for (let i = 1; i < g; i++) {
        const v = scores[(kh * g + i) * n + j]!;
        switch (mode) {
          case 'mean':
            acc += v;
            break;
          case 'max':
            acc = v > acc ? v : acc;
            break;
          default:
            throw new InvalidArgumentError(`unknown GQA reduction ${String(mode satisfies never)}`);
        }
      }
      out[kh * cols + j] = mode === 'mean' ? acc / g : acc;
    }
  }
  return out;
}

/**
 * 1-D pooling of each row of `rowLength` scores, stride 1, padding `kernel // 2`, output the same
 * length. 'avg' counts the zero padding in the divisor (PyTorch `avg_pool1d` with its default
 * `count_include_pad=True`: edge windows are divided by `kernel`, not by the in-range count); 'max'
 * ignores padding (PyTorch `max_pool1d` pads with -inf). Even kernels are rejected: with padding
 * `k // 2` PyTorch returns `n + 1` outputs, which a gather by position cannot use.
 */
export function pool1d(scores: ArrayLike<number>, kernel: number, mode: Pooling, rowLength = scores.length): Float64Array {
  if (!Number.isSafeInteger(kernel) || kernel < 1 || kernel % 2 === 0) {
    throw new InvalidArgumentError(`pooling kernel must be an odd integer >= 1, got ${kernel}`);
  }
  if (!Number.isSafeInteger(rowLength) || rowLength < 0 || (rowLength === 0 ? scores.length !== 0 : scores.length % rowLength !== 0)) {
    throw new ShapeMismatchError(`${scores.length} scores are not rows of ${rowLength}`);
  }
  const out = new Float64Array(scores.length);
  const pad = kernel >> 1;
  const rows = rowLength === 0 ? 0 : scores.length / rowLength;
  for (let r = 0; r < rows; r++) {
    const base = r * rowLength;
    for (let i = 0; i < rowLength; i++) {
      const lo = Math.max(0, i - pad);
      const hi = Math.min(rowLength - 1, i + pad);
      switch (mode) {
        case 'avg': {
          let s = 0;
          for (let t = lo; t <= hi; t++) s += scores[base + t]!;
          out[base + i] = s / kernel;
          break;
        }
        case 'max': {
          let m = -Infinity;
          for (let t = lo; t <= hi; t++) {
            const v = scores[base + t]!;
            if (v > m) m = v;
          }
          out[base + i] = m;
          break;
        }
        default:
          throw new InvalidArgumentError(`unknown pooling ${String(mode satisfies never)}`);
      }
    }
  }
  return out;
}
