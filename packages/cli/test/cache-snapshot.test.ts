// --save-cache / --load-cache across processes: 20 tokens saved, then 20 more in a fresh process,
// equal one run of 40 (tokens, text, bytes and tokens held); --prompt adds text; bad uses are
// usage errors before any output, a snapshot of another model a runtime error with its code.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GGUF, json, kvkit } from './run-kvkit.js';

const dir = mkdtempSync(join(tmpdir(), 'kvkit-cli-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CACHE = ['--model', GGUF, '--backend', 'cpu', '--policy', 'h2o', '--budget', '24', '--kv-dtype', 'int8'];

describe('kvkit generate --save-cache / --load-cache', () => {
  const file = join(dir, 'story.kvsnap');

  it('20 tokens, saved, then 20 more in a fresh process equal one run of 40', () => {
    const whole = json(['generate', ...CACHE, '--prompt', 'Once upon a time', '--max-tokens', '40']);
    const first = json(['generate', ...CACHE, '--prompt', 'Once upon a time', '--max-tokens', '20', '--save-cache', file]);
    expect(first.cache).toMatchObject({ savedTo: file, snapshotBytes: statSync(file).size });
    expect(first.cache.snapshotBytes).toBeLessThan(first.cache.bytesUsed + 8192);
    const rest = json(['generate', '--model', GGUF, '--backend', 'cpu', '--load-cache', file, '--max-tokens', '20']);
    expect(rest.cache.restoredFrom).toBe(file);
    expect(rest.cache.restoredTokens).toBe(first.promptTokens + 19); // the 20th token was sampled, not yet fed
    expect(rest.promptTokens).toBe(1); // only that token is prefilled now
    expect(rest.timings.prefillMs).toBeGreaterThanOrEqual(0);
    expect(first.completion + rest.completion).toBe(whole.completion);
    expect(rest.tokens).toEqual(whole.tokens);
    expect(rest.cache.bytesUsed).toBe(whole.cache.bytesUsed);
    expect(rest.cache.tokensHeldPerHead).toEqual(whole.cache.tokensHeldPerHead);
    expect(rest.cache.kvDtype).toBe('int8');
    expect(rest.cache.policy.kind).toBe('h2o');
  });

  it('--prompt adds text after the saved run; text mode prints only the new text', () => {
    const more = json(['generate', '--model', GGUF, '--backend', 'cpu', '--load-cache', file, '--prompt', ' Then the sun came out.', '--max-tokens', '8']);
    expect(more.cache.restoredTokens).toBeGreaterThan(20);
    expect(more.promptTokens).toBeGreaterThan(1);
    expect(more.generatedTokens).toBe(8);
    const text = kvkit(['generate', '--model', GGUF, '--backend', 'cpu', '--load-cache', file, '--prompt', ' Then', '--max-tokens', '4']);
    expect(text.status).toBe(0);
    expect(text.stdout.startsWith(' Then')).toBe(true);
  });

  it('usage errors before any output: missing file, flags the snapshot decides, an unwritable --save-cache', () => {
    const cases: [string[], RegExp][] = [
      [['--load-cache', join(dir, 'missing.kvsnap')], /--load-cache .*no such file/],
      [['--load-cache', file, '--budget', '8'], /--budget comes from the snapshot/],
      [['--load-cache', file, '--no-cache'], /--no-cache comes from the snapshot/],
      [['--prompt', 'Hi', '--save-cache', join(dir, 'no', 'such', 'dir', 'x.kvsnap')], /--save-cache .*cannot be written: no folder/],
      [['--prompt', 'Hi', '--save-cache', dir], /--save-cache .* is a folder/],
    ];
    for (const [args, message] of cases) {
      const r = kvkit(['generate', '--model', GGUF, '--backend', 'cpu', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
  });

  it('a snapshot of another model, another KV dtype than asked, or damaged bytes: runtime errors naming the problem', () => {
    const other = kvkit(['generate', '--backend', 'cpu', '--load-cache', file, '--max-tokens', '4']); // the shipped default model
    expect(other.status).toBe(1);
    expect(other.stdout).toBe('');
    expect(other.stderr).toMatch(/another model/);
    const dtype = kvkit(['generate', '--model', GGUF, '--backend', 'cpu', '--load-cache', file, '--kv-dtype', 'f16', '--max-tokens', '4']);
    expect(dtype.status).toBe(1);
    expect(dtype.stderr).toMatch(/kvDtype is int8, not f16/);
    const junk = join(dir, 'junk.kvsnap');
    kvkit(['generate', '--model', GGUF, '--backend', 'cpu', '--prompt', 'Hi', '--max-tokens', '2', '--save-cache', junk]);
    const bytes = readFileSync(junk);
    writeFileSync(junk, bytes.subarray(0, bytes.length - 3));
    const cut = kvkit(['generate', '--model', GGUF, '--backend', 'cpu', '--load-cache', junk, '--max-tokens', '2']);
    expect(cut.status).toBe(1);
    expect(cut.stderr).toMatch(/truncated/);
  });
});
