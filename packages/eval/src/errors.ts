import { KvkitError } from '@kvkit/tensor';

/** An evaluation text too short for what was asked of it (windows, haystack prompts). */
export class TextTooShortError extends KvkitError {
  constructor(message: string) {
    super('TEXT_TOO_SHORT', message);
  }
}
