// The control block a thread pool shares with its workers, in the backend's memory: one call at a
// time is written here by the caller and read by the workers (see pool.ts and worker-loop.ts).

/** Word offsets (i32) of the control block. */
export const W = {
  seq: 0,
  stop: 1,
  sleepers: 2,
  error: 3,
  /** (chunks << 16) | next chunk index. */
  claim: 4,
  done: 5,
  fn: 6,
  nargs: 7,
  r0Pos: 8,
  r1Pos: 9,
  scratchPos: 10,
  total: 11,
  chunk: 12,
  args: 16, // 16 words
  scratch: 32, // 1 word per thread
  words: 64,
} as const;
export const CONTROL_BYTES = W.words * 4;
/** The chunk count and index share the claim word: 15 bits for the count. */
export const MAX_CHUNKS = 0x7fff;
