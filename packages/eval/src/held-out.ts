/**
 * The held-out part of a training text: everything after the first paragraph break at or after
 * `fraction` (default 90 %) of its characters. The project's models were trained on the part before
 * (tooling/train cuts with this same rule), so scores on this part are on unseen text.
 */
export function heldOutText(text: string, fraction = 0.9): string {
  const cut = text.indexOf('\n\n', Math.floor(text.length * fraction));
  return cut < 0 ? '' : text.slice(cut + 2);
}

/** Which part of a text an evaluation scored. */
export type TextSplit = 'held-out' | 'all';

export function textSplit(text: string, split: TextSplit): string {
  return split === 'held-out' ? heldOutText(text) : text;
}
