// A cache snapshot of a session for the page: bytes, and which positions each layer and KV head holds.
import { cacheBytes } from '@kvkit/cache';
import type { ByteLayout } from '@kvkit/cache';
import type { TextSession } from '@kvkit/runtime';
import type { CacheSnapshot } from '../protocol.js';

/** Token texts of a session, decoded once per position and extended as the sequence grows. */
export class PieceCache {
  readonly #utf8 = new TextDecoder();
  #pieces: string[] = [];
  #tokens: number[] = [];

  piecesOf(session: TextSession): string[] {
    const tokens = session.tokens;
    // A session that was reset or restarted no longer starts with the tokens decoded before.
    let same = 0;
    while (same < this.#tokens.length && same < tokens.length && this.#tokens[same] === tokens[same]) same++;
    this.#pieces.length = same;
    this.#tokens.length = same;
    for (let i = same; i < tokens.length; i++) {
      const prev = i === 0 ? session.tokenizer.bosId : tokens[i - 1]!;
      this.#pieces.push(i === 0 && tokens[i] === session.tokenizer.bosId ? '<s>' : this.#utf8.decode(session.tokenizer.decodePiece(prev, tokens[i]!)));
      this.#tokens.push(tokens[i]!);
    }
    return this.#pieces.slice();
  }
}

export interface SnapshotContext {
  readonly policyLabel: string;
  readonly promptStart: number;
  readonly generatedFrom: number;
  readonly pieces: PieceCache;
}

export function cacheSnapshot(ts: TextSession, ctx: SnapshotContext): CacheSnapshot {
  const s = ts.session;
  const cache = s.cache;
  const config = s.model.config;
  const stats = ts.stats();
  const layout: ByteLayout = {
    kvSource: cache.kvSource,
    nKvHeads: cache.nKvHeads,
    headDim: cache.headDim,
    kvDtype: cache.kvDtype,
    ...(config.slidingWindow ? { slidingWindow: config.slidingWindow } : {}),
  };
  const budgetTokens = ts.budget ?? null;
  const held = cache.kvSource.map((src, l) => (src === l ? Array.from({ length: cache.nKvHeads }, (_, h) => Array.from(cache.layer(l).positionsOf(h))) : null));
  return {
    position: s.position,
    bytesUsed: stats.bytesUsed,
    fullBytes: cacheBytes(layout, s.position),
    budgetBytes: budgetTokens === null ? null : cacheBytes(layout, budgetTokens),
    budgetTokens,
    kvDtype: cache.kvDtype,
    policy: ctx.policyLabel,
    tokensHeld: stats.tokensHeld,
    held,
    kvSource: cache.kvSource,
    pieces: ctx.pieces.piecesOf(ts),
    promptStart: ctx.promptStart,
    generatedFrom: ctx.generatedFrom,
    compressions: ts.compressions.length,
  };
}
