// The page's cache settings as session options, and a label that says what they are.
import type { TextSessionOptions } from '@kvkit/runtime';
import type { CacheSettings } from '../protocol.js';

export function sessionOptions(c: CacheSettings, maxTokens?: number): TextSessionOptions {
  return {
    kvDtype: c.kvDtype,
    ...(c.policy ? { policy: c.policy } : {}),
    ...(c.policy && c.policy.kind !== 'full' && c.budget ? { budget: c.budget } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
  };
}

export function policyLabel(c: CacheSettings): string {
  if (!c.policy || c.policy.kind === 'full') return `full cache, ${c.kvDtype}`;
  const b = c.budget;
  const budget = !b ? '' : 'budget' in b ? `${b.budget} tokens` : 'ratio' in b ? `ratio ${b.ratio}` : `${b.maxBytes} bytes`;
  return `${c.policy.kind} @ ${budget}, ${c.kvDtype}`;
}

/** Settings equal as JSON: a session is reused only while they stay the same. */
export const settingsKey = (c: CacheSettings): string => JSON.stringify(c);
