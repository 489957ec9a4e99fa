import type { Tokenizer } from '@kvkit/loaders';

/**
 * The UTF-8 bytes a token contributes to text after `prev`: byte-fallback tokens as their raw byte (a
 * multi-byte character may be spread over several of them), BOS/EOS and other specials as nothing.
 * Unlike `decodePiece` (run.c's printing, which drops lone non-printable bytes) nothing is filtered.
 */
export function tokenBytes(tokenizer: Tokenizer, prev: number, token: number): Uint8Array {
  return tokenizer.textBytes ? tokenizer.textBytes(prev, token) : tokenizer.decodePiece(prev, token);
}

/**
 * Text of a token sequence, decoded all at once from the tokens' bytes (invalid UTF-8 becomes U+FFFD),
 * `prev` being the token before the first one (-1: none). Streaming the same tokens through
 * `TokenTextStream` yields chunks that concatenate to exactly this string.
 */
export function tokensToText(tokenizer: Tokenizer, tokens: readonly number[], prev = -1): string {
  const parts = tokens.map((t, i) => tokenBytes(tokenizer, i > 0 ? tokens[i - 1]! : prev, t));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (all.set(p, at), (at += p.length));
  return new TextDecoder().decode(all);
}

/**
 * Incremental detokenisation: each token's bytes go through one streaming UTF-8 decoder, so a
 * character whose bytes span several tokens (byte-level BPE, SentencePiece byte fallback) is emitted
 * whole once its last byte arrives, never as a broken character.
 */
export class TokenTextStream {
  readonly #tokenizer: Tokenizer;
  readonly #decoder = new TextDecoder('utf-8');
  #prev: number;

  /** `prev`: the token already in the sequence before the first pushed one (-1: none). */
  constructor(tokenizer: Tokenizer, prev = -1) {
    this.#tokenizer = tokenizer;
    this.#prev = prev;
  }

  /** The text that `token` completes (empty while a character is still incomplete). */
  push(token: number): string {
    const bytes = tokenBytes(this.#tokenizer, this.#prev, token);
    this.#prev = token;
    return this.#decoder.decode(bytes, { stream: true });
  }

  /** Whatever is left: an incomplete character at the end becomes U+FFFD, as decoding all at once does. */
  flush(): string {
    return this.#decoder.decode();
  }
}
