// kvkit chat on the shipped default model (no chat template: the plain-text fallback), two turns piped
// on stdin: the second turn must prefill only its new text, reading the first turn from the cache.
import { describe, expect, it } from 'vitest';
import { kvkit } from './run-kvkit.js';

const lines = (s: string) => s.trimEnd().split('\n').map((l) => JSON.parse(l));

describe('kvkit chat', () => {
  it('keeps the cache between turns: the second turn prefills only the new tokens', () => {
    const r = kvkit(['chat', '--format', 'json', '--max-tokens', '12', '--system', 'A story.'], { input: 'Tell me about a cat.\nAnd a dog?\n' });
    expect(r.status, r.stderr).toBe(0);
    // The fallback is announced once, on stderr.
    expect(r.stderr.match(/plain-text fallback/g)).toHaveLength(1);
    const [ready, t1, t2, ...rest] = lines(r.stdout);
    expect(rest).toEqual([]);
    expect(ready).toMatchObject({ type: 'ready', template: 'plain' });
    expect(ready.backend.threads).toBeGreaterThanOrEqual(1);
    expect(t1).toMatchObject({ type: 'turn', turn: 1, user: 'Tell me about a cat.', reusedTokens: 0, generatedTokens: t1.generatedTokens });
    expect(t2).toMatchObject({ type: 'turn', turn: 2, user: 'And a dog?' });
    // Everything the cache held after turn 1 is reused, not prefilled again...
    expect(t2.reusedTokens).toBe(t1.cache.tokensHeld);
    // ...and turn 2 prefills its own few tokens (the pending reply token, "User: And a dog?", "Assistant:").
    expect(t2.promptTokens).toBeGreaterThan(3);
    expect(t2.promptTokens).toBeLessThan(t1.promptTokens);
    expect(t2.cache.tokensHeld).toBe(t2.reusedTokens + t2.promptTokens + t2.generatedTokens - 1);
  });

  it("ends at '/exit' and streams replies as text", () => {
    const r = kvkit(['chat', '--max-tokens', '8', '--backend', 'cpu'], { input: 'Hello.\n\n/exit\nNot read.\n' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n').length).toBeGreaterThanOrEqual(1);
    const json = kvkit(['chat', '--max-tokens', '8', '--backend', 'cpu', '--format', 'json'], { input: 'Hello.\n/exit\nNot read.\n' });
    expect(lines(json.stdout).map((l) => l.type)).toEqual(['ready', 'turn']);
  });

  it('refuses --template model on a model without a chat template, before reading stdin', () => {
    const r = kvkit(['chat', '--template', 'model'], { input: 'Hi\n' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/has no chat template .* use --template plain/);
  });
});
