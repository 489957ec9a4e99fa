/**
 * A short rendering of a value from an untrusted JSON file for an error message: at most `max` characters,
 * and never an exception of its own (JSON.stringify overflows the stack on deeply nested arrays).
 */
export function showJson(value: unknown, max = 80): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch {
    s = Array.isArray(value) ? 'a deeply nested array' : 'a deeply nested object';
  }
  if (s === undefined) return String(value);
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
