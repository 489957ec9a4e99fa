import { InvalidArgumentError } from '@kvkit/tensor';

/** Stop strings as given: each must be a non-empty string. */
export function checkStopStrings(stop: unknown): readonly string[] {
  if (stop === undefined) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list)) throw new InvalidArgumentError(`stop must be a string or an array of strings, got ${typeof stop}`);
  for (const s of list) {
    if (typeof s !== 'string') throw new InvalidArgumentError(`stop strings must be strings, got ${typeof s}`);
    if (s.length === 0) throw new InvalidArgumentError('stop strings must not be empty (an empty string would stop before the first token)');
  }
  return list as string[];
}

/**
 * Finds stop strings in streamed text. Text that could be the start of a stop string is held back
 * until it is known not to be one, so the caller never emits part of a stop string and the text it
 * emits is exactly the generated text up to (not including) the first stop string.
 */
export class StopStringMatcher {
  readonly #stops: readonly string[];
  #held = '';

  constructor(stops: readonly string[]) {
    this.#stops = stops;
  }

  /** Text safe to emit after `text` arrives, and whether a stop string ended the generation. */
  push(text: string): { readonly text: string; readonly stopped: boolean } {
    const all = this.#held + text;
    if (this.#stops.length === 0) return { text: all, stopped: false };
    let first = -1;
    for (const s of this.#stops) {
      const at = all.indexOf(s);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    if (first >= 0) {
      this.#held = '';
      return { text: all.slice(0, first), stopped: true };
    }
    const keep = this.#partialSuffix(all);
    this.#held = all.slice(all.length - keep);
    return { text: all.slice(0, all.length - keep), stopped: false };
  }

  /** Text held back when generation ends for another reason. */
  flush(): string {
    const t = this.#held;
    this.#held = '';
    return t;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of a stop string. */
  #partialSuffix(text: string): number {
    let best = 0;
    for (const s of this.#stops) {
      for (let n = Math.min(s.length - 1, text.length); n > best; n--) {
        if (text.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
