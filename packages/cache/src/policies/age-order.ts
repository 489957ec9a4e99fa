// Age order of a head's held slots, for the eviction policies that run at every decoding step
// (sliding window, StreamingLLM, H2O, TOVA): the k oldest without sorting them all, or every slot
// with one native sort instead of a comparator sort.

/** How equal positions are ordered: the lower slot index is the older one, or the higher. */
export type AgeTies = 'lowerOlder' | 'higherOlder';

/** Packing position and index in one float64 key is exact below this many slots. */
const INDEX_BITS = 2 ** 21;

/**
 * The `k` oldest slots (smallest positions; ties per `ties`), oldest first. O(len · k) for small k
 * (one pass keeping a sorted buffer: a decoding step drops one slot), a native sort of packed
 * float64 keys otherwise.
 */
export function oldestSlots(positions: Int32Array, k: number, ties: AgeTies = 'lowerOlder'): Int32Array {
  const len = positions.length;
  const count = Math.max(0, Math.min(k, len));
  const out = new Int32Array(count);
  if (count === 0) return out;
  if (count > 64 && len < INDEX_BITS) {
    const keys = new Float64Array(len);
    for (let i = 0; i < len; i++) keys[i] = positions[i]! * INDEX_BITS + (ties === 'lowerOlder' ? i : INDEX_BITS - 1 - i);
    keys.sort();
    for (let t = 0; t < count; t++) {
      const r = keys[t]! - Math.floor(keys[t]! / INDEX_BITS) * INDEX_BITS;
      out[t] = ties === 'lowerOlder' ? r : INDEX_BITS - 1 - r;
    }
    return out;
  }
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
 * Every slot oldest first (ascending position, ties to the lower slot index): one native sort of
 * packed float64 keys.
 */
export function allByAge(positions: Int32Array): Int32Array {
  const len = positions.length;
  const out = new Int32Array(len);
  if (len >= INDEX_BITS) {
    for (let i = 0; i < len; i++) out[i] = i;
    return out.sort((a, b) => positions[a]! - positions[b]! || a - b);
  }
  const keys = new Float64Array(len);
  for (let i = 0; i < len; i++) keys[i] = positions[i]! * INDEX_BITS + i;
  keys.sort();
  for (let i = 0; i < len; i++) out[i] = keys[i]! - Math.floor(keys[i]! / INDEX_BITS) * INDEX_BITS;
  return out;
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
