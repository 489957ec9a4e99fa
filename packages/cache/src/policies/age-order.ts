// Age order of a head's held slots, for the eviction policies that run at every decoding step
// (sliding window, StreamingLLM, H2O, TOVA): the k oldest without sorting them all, or every slot
// with one native sort instead of a comparator sort.
import { worstRanked } from './select.js';

/** How equal positions are ordered: the lower slot index is the older one, or the higher. */
export type AgeTies = 'lowerOlder' | 'higherOlder';

/** Packing position and index in one float64 key is exact below this many slots. */
const INDEX_BITS = 2 ** 21;

/**
 * The `k` oldest slots (smallest positions; ties per `ties`), oldest first. O(len · k) for small k
 * (one pass keeping a sorted buffer: a decoding step drops one slot), `allByAge` otherwise.
 */
export function oldestSlots(positions: Int32Array, k: number, ties: AgeTies = 'lowerOlder'): Int32Array {
  const len = positions.length;
  const count = Math.max(0, Math.min(k, len));
  if (count > 64) return allByAge(positions, ties).slice(0, count);
  const out = new Int32Array(count);
  if (count === 0) return out;
  // Slots arrive in ascending index, so on equal positions a newcomer is younger ('lowerOlder') or older.
  const lowerOlder = ties === 'lowerOlder';
  let held = 0;
  for (let i = 0; i < len; i++) {
    const p = positions[i]!;
    if (held === count) {
      const q = positions[out[count - 1]!]!;
      if (lowerOlder ? p >= q : p > q) continue;
    } else held++;
    let at = held - 1;
    while (at > 0) {
      const q = positions[out[at - 1]!]!;
      if (lowerOlder ? q <= p : q < p) break;
      out[at] = out[at - 1]!;
      at--;
    }
    out[at] = i;
  }
  return out;
}

/**
 * Every slot oldest first (ascending position, ties per `ties`): one native sort of packed float64
 * keys (a comparator sort past 2^21 slots, where the packing would not be exact).
 */
export function allByAge(positions: Int32Array, ties: AgeTies = 'lowerOlder'): Int32Array {
  const len = positions.length;
  const out = new Int32Array(len);
  const lowerOlder = ties === 'lowerOlder';
  if (len >= INDEX_BITS) {
    for (let i = 0; i < len; i++) out[i] = i;
    return out.sort((a, b) => positions[a]! - positions[b]! || (lowerOlder ? a - b : b - a));
  }
  const keys = new Float64Array(len);
  for (let i = 0; i < len; i++) keys[i] = positions[i]! * INDEX_BITS + (lowerOlder ? i : INDEX_BITS - 1 - i);
  keys.sort();
  for (let i = 0; i < len; i++) {
    const r = keys[i]! - Math.floor(keys[i]! / INDEX_BITS) * INDEX_BITS;
    out[i] = lowerOlder ? r : INDEX_BITS - 1 - r;
  }
  return out;
}

/**
 * Ascending slot indices in [0, len) except the `count` worst-scored of `slots`, which lists
 * the candidates in tie-break order (score ties keep the earlier one); `scoreOf(s)` scores slot s.
 * H2O and TOVA evict this way after ordering their candidates by age.
 */
export function slotsExceptWorst(len: number, slots: Int32Array, scoreOf: (slot: number) => number, count: number): number[] {
  const ordered = new Float64Array(slots.length);
  for (let i = 0; i < slots.length; i++) ordered[i] = scoreOf(slots[i]!);
  return slotsExcept(len, Array.from(worstRanked(ordered, count), (i) => slots[i]!));
}

/** Ascending slot indices in [0, len) except `drop` (distinct indices in [0, len)). */
export function slotsExcept(len: number, drop: ArrayLike<number>): number[] {
  const gone = Int32Array.from(drop).sort();
  const keep = new Array<number>(len - gone.length);
  for (let i = 0, t = 0, w = 0; i < len; i++) {
    if (t < gone.length && gone[t] === i) t++;
    else keep[w++] = i;
  }
  return keep;
}
