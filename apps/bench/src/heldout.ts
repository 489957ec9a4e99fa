/**
 * The held-out part of a training text: everything after the first paragraph break at or after 90 %
 * of its characters. The training scripts (tooling/train) learn from the part before; both sides cut
 * with this same rule.
 */
export function heldOutText(text: string, fraction = 0.9): string {
  const cut = text.indexOf('\n\n', Math.floor(text.length * fraction));
  return cut < 0 ? '' : text.slice(cut + 2);
}
