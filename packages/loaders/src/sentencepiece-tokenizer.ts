// SentencePiece BPE as llama2.c run.c implements it (encode/decode/safe_printf), with a heap instead of its
// O(n^2) rescans: same merges in the same order, fast enough for whole documents.
import { InvalidArgumentError } from '@kvkit/tensor';
import type { Tokenizer } from './model-config.js';

export interface SentencePieceVocab {
  /** Piece text per id, with SentencePiece's U+2581 already turned into a real space. */
  readonly pieces: readonly string[];
  /** Merge priority per id (higher merges first); stored as float32 like run.c. */
  readonly scores: ArrayLike<number>;
  readonly bosId: number;
  readonly eosId: number;
  /** Used for a byte that has no byte-fallback token (default 0). */
  readonly unkId?: number;
  /** byteIds[b] = id of the byte-fallback token of byte b, or -1. Default: the ids of the `<0xNN>` pieces. */
  readonly byteIds?: ArrayLike<number>;
  /** SentencePiece's add_dummy_prefix: a " " token before non-empty text (default true, as run.c). */
  readonly addDummyPrefix?: boolean;
}

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
/** run.c starts its best score at -1e10 (a float): pairs scoring at or below it never merge. */
const MIN_SCORE = Math.fround(-1e10);
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const EMPTY = new Uint8Array(0);

/** C-locale isprint || isspace: what run.c's safe_printf lets through as a lone byte. */
function printableByte(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || (b >= 0x09 && b <= 0x0d);
}

export class SentencePieceBpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly unkId: number;
  readonly addDummyPrefix: boolean;
  readonly pieces: readonly string[];
  readonly scores: Float32Array;
  /** byteIds[b] = byte-fallback token of byte b, or -1. */
  readonly byteIds: Int32Array;
  private readonly lookup = new Map<string, number>();
  /** Raw byte of each byte-fallback token, -1 for the others. */
  private readonly tokenByte: Int16Array;
  /** UTF-8 of each piece; with its leading space dropped, for use after BOS. */
  private readonly bytesOf: Uint8Array[];
  private readonly bytesAfterBos: Uint8Array[];

  constructor(vocab: SentencePieceVocab) {
    const n = vocab.pieces.length;
    if (n === 0 || vocab.scores.length !== n) {
      throw new InvalidArgumentError(`tokenizer: ${n} pieces and ${vocab.scores.length} scores`);
    }
    const checkId = (name: string, id: number): number => {
      if (!Number.isSafeInteger(id) || id < 0 || id >= n) throw new InvalidArgumentError(`tokenizer: ${name} id ${id} outside 0..${n - 1}`);
      return id;
    };
    this.vocabSize = n;
    this.bosId = checkId('bos', vocab.bosId);
    this.eosId = checkId('eos', vocab.eosId);
    this.unkId = checkId('unk', vocab.unkId ?? 0);
    this.addDummyPrefix = vocab.addDummyPrefix ?? true;
    this.pieces = vocab.pieces.slice();
    this.scores = Float32Array.from(vocab.scores);
    // First id wins for duplicate pieces (run.c's bsearch would pick an arbitrary one).
    this.pieces.forEach((p, id) => {
      if (!this.lookup.has(p)) this.lookup.set(p, id);
    });

    this.byteIds = new Int32Array(256).fill(-1);
    if (vocab.byteIds) {
      if (vocab.byteIds.length !== 256) throw new InvalidArgumentError(`tokenizer: byteIds needs 256 entries`);
      for (let b = 0; b < 256; b++) this.byteIds[b] = vocab.byteIds[b] === -1 ? -1 : checkId(`byte ${b}`, vocab.byteIds[b]);
    } else {
      this.pieces.forEach((p, id) => {
        const m = BYTE_PIECE.exec(p);
        if (m && this.byteIds[parseInt(m[1], 16)] === -1) this.byteIds[parseInt(m[1], 16)] = id;
      });
    }
    this.tokenByte = new Int16Array(n).fill(-1);
    this.byteIds.forEach((id, b) => {
      if (id >= 0) this.tokenByte[id] = b;
    });

    this.bytesOf = this.pieces.map((p, id) => (this.tokenByte[id] >= 0 ? Uint8Array.of(this.tokenByte[id]) : utf8Encoder.encode(p)));
    this.bytesAfterBos = this.pieces.map((p, id) => (this.tokenByte[id] < 0 && p.startsWith(' ') ? this.bytesOf[id].subarray(1) : this.bytesOf[id]));
  }

  /** Id of a piece (text with real spaces), if it is in the vocabulary. */
  pieceId(piece: string): number | undefined {
    return this.lookup.get(piece);
  }

  encode(text: string, opts: { bos?: boolean; eos?: boolean } = {}): number[] {
    const ids: number[] = [];
    if (opts.bos ?? true) ids.push(this.bosId);
    if (text.length > 0 && this.addDummyPrefix) this.pushText(ids, ' ');
    for (const cp of text) this.pushText(ids, cp);
    const merged = this.merge(ids);
    if (opts.eos) merged.push(this.eosId);
    return merged;
  }

  /** A code point (or " ") as its piece if there is one, else as byte-fallback tokens. */
  private pushText(ids: number[], s: string): void {
    const id = this.lookup.get(s);
    if (id !== undefined) {
      ids.push(id);
      return;
    }
    for (const b of utf8Encoder.encode(s)) ids.push(this.byteIds[b] >= 0 ? this.byteIds[b] : this.unkId);
  }

  /**
   * run.c's loop: merge the adjacent pair whose concatenation is the best-scoring piece, leftmost on ties,
   * until no pair is a piece. A max-heap keyed (score, -position) over a linked list picks the same pair each
   * step; entries made stale by a merge are recognised by per-node versions and skipped.
   */
  private merge(ids: number[]): number[] {
    const n = ids.length;
    if (n < 2) return ids;
    const tok = Int32Array.from(ids);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const version = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new PairHeap();
    const consider = (i: number): void => {
      const j = next[i];
      if (i < 0 || j < 0) return;
      const id = this.lookup.get(this.pieces[tok[i]] + this.pieces[tok[j]]);
      if (id === undefined || !(this.scores[id] > MIN_SCORE)) return;
      heap.push({ score: this.scores[id], left: i, right: j, id, vLeft: version[i], vRight: version[j] });
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    for (let e = heap.pop(); e; e = heap.pop()) {
      const { left: i, right: j } = e;
      if (next[i] !== j || version[i] !== e.vLeft || version[j] !== e.vRight) continue; // stale
      tok[i] = e.id;
      version[i]++;
      version[j] = -1; // removed: never matches again
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      consider(prev[i]);
      consider(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(tok[i]);
    return out;
  }

  /** The returned bytes are shared with the tokenizer: copy them before changing them. */
  decodePiece(prev: number, token: number): Uint8Array {
    if (!Number.isSafeInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new InvalidArgumentError(`token id ${token} outside the vocabulary of ${this.vocabSize}`);
    }
    if (token === this.bosId || token === this.eosId) return EMPTY;
    const bytes = prev === this.bosId ? this.bytesAfterBos[token] : this.bytesOf[token];
    if (bytes.length === 1 && !printableByte(bytes[0])) return EMPTY; // safe_printf drops lone control/high bytes
    return bytes;
  }

  /** The token's own bytes after `prev` (byte-fallback tokens as their raw byte): text, not run.c's printing. */
  textBytes(prev: number, token: number): Uint8Array {
    if (!Number.isSafeInteger(token) || token < 0 || token >= this.vocabSize) {
      throw new InvalidArgumentError(`token id ${token} outside the vocabulary of ${this.vocabSize}`);
    }
    if (token === this.bosId || token === this.eosId) return EMPTY;
    return prev === this.bosId ? this.bytesAfterBos[token] : this.bytesOf[token];
  }

  decode(tokens: readonly number[]): string {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (let i = 0; i < tokens.length; i++) {
      const piece = this.decodePiece(i > 0 ? tokens[i - 1] : -1, tokens[i]);
      parts.push(piece);
      length += piece.length;
    }
    const all = new Uint8Array(length);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return utf8Decoder.decode(all);
  }
}

interface PairEntry {
  readonly score: number;
  readonly left: number;
  readonly right: number;
  readonly id: number;
  readonly vLeft: number;
  readonly vRight: number;
}

/** Binary max-heap: higher score first, then the leftmost pair (run.c's strict `>` scan order). */
class PairHeap {
  private readonly items: PairEntry[] = [];

  private before(a: PairEntry, b: PairEntry): boolean {
    return a.score > b.score || (a.score === b.score && a.left < b.left);
  }

  push(e: PairEntry): void {
    const h = this.items;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  pop(): PairEntry | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l], h[m])) m = l;
        if (r < h.length && this.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
