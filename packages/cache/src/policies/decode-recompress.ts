import { InvalidPolicyConfigError } from '../errors.js';
import { requireInt } from './validate.js';

/**
 * Running a prefill-only method (SnapKV family, prefill H2O) during decoding (spec §0): every
 * `interval` decoding steps, recompress the cache to `target` tokens per layer, as kvpress's
 * DecodingPress does (spec: every 512 steps, target 2048). The statistics are those of the last
 * `w` decoded queries, computed by the backend as in prefill.
 */
export interface DecodeRecompressParams {
  readonly interval: number;
  readonly target: number;
}

export const DECODE_RECOMPRESS_DEFAULTS: Readonly<DecodeRecompressParams> = { interval: 512, target: 2048 };

/**
 * Whether to recompress after decoding step `step` (1-based count of tokens decoded since prefill):
 * every `interval` steps (the step counter restarts each time, as DecodingPress's), and only when the
 * cache holds more than `target` tokens; at or under target the run would be "no compression needed".
 */
export function recompressDue(step: number, heldTokens: number, params: DecodeRecompressParams = DECODE_RECOMPRESS_DEFAULTS): boolean {
  requireInt('decode-recompress', 'interval', params.interval, 1);
  requireInt('decode-recompress', 'target', params.target, 0);
  if (!Number.isSafeInteger(step) || step < 0) throw new InvalidPolicyConfigError(`decode-recompress: bad step ${step}`);
  return step > 0 && step % params.interval === 0 && heldTokens > params.target;
}
