/**
 * The evaluation text this package ships: the held-out last 10 % of a TinyStories validation prefix,
 * which the project's models (@kvkit/models) were not trained on. Read it with
 * `readShippedText()` from `@kvkit/eval/node`, or fetch `@kvkit/eval/data/tinystories-heldout.txt`.
 */
export const SHIPPED_TEXT = {
  name: 'TinyStories validation prefix, held-out last 10 %',
  file: 'data/tinystories-heldout.txt',
  /** The split of the original text the file holds: already the held-out part. */
  split: 'held-out',
  bytes: 79_270,
  sha256: '5e322e5527adc90e28526798a7941acbfdabd2a19d34d78971db3ec8b8ea24c9',
  source: 'roneneldan/TinyStories (Hugging Face), split validation, in dataset order',
  license: 'CDLA-Sharing-1.0',
} as const;
