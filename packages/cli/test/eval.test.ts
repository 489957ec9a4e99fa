import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedFixture } from '@kvkit/fixtures';
import { SHIPPED_TEXT } from '@kvkit/eval';
import { describe, expect, it } from 'vitest';
import { GGUF, json, kvkit } from './run-kvkit.js';

const TINYSTORIES = sharedFixture('data/tinystories-valid-prefix/tinystories_val.txt');

describe('kvkit eval ppl', () => {
  it('states the data and split it scored: by default the shipped held-out text', () => {
    const out = json(['eval', 'ppl', '--windows', '1', '--window-len', '128']);
    expect(out.data).toMatchObject({ name: SHIPPED_TEXT.name, split: 'held-out', license: 'CDLA-Sharing-1.0' });
    expect(out.tokens).toBe(127);
    const text = kvkit(['eval', 'ppl', '--windows', '1', '--window-len', '128']);
    expect(text.stdout.split('\n')[0]).toBe(`data: ${SHIPPED_TEXT.name} (shipped with @kvkit/eval; the held-out split); 1 windows of 128 tokens, prefill 127`);
    expect(text.stdout).toContain(`perplexity ${out.perplexity.toFixed(3)}`);
  });

  it('scores the held-out split of --data by default, and the whole file with --split all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvkit-data-'));
    writeFileSync(join(dir, 'stories.txt'), readFileSync(TINYSTORIES, 'utf8'));
    const args = ['eval', 'ppl', '--model', GGUF, '--data', 'stories.txt', '--windows', '1', '--window-len', '128', '--backend', 'cpu'];
    const held = json(args, { cwd: dir });
    const shipped = json(['eval', 'ppl', '--model', GGUF, '--windows', '1', '--window-len', '128', '--backend', 'cpu']);
    // The held-out split of the original file is the text the package ships: the same score.
    expect(held.data).toMatchObject({ name: 'stories.txt', file: join(dir, 'stories.txt'), split: 'held-out' });
    expect(held.nll).toBe(shipped.nll);
    const all = json([...args, '--split', 'all'], { cwd: dir });
    expect(all.data.split).toBe('all');
    expect(all.nll).not.toBe(held.nll);
  });

  it('compares a policy with the full cache, with progress on stderr', () => {
    const base = ['eval', 'ppl', '--model', GGUF, '--windows', '2', '--window-len', '256', '--compare'];
    const full = json([...base, '--policy', 'full']);
    expect(full.kl).toBeLessThan(1e-9);
    expect(full.top1Agreement).toBe(1);
    const r = kvkit([...base, '--policy', 'streaming', '--budget', '32', '--format', 'json']);
    expect(r.stderr).toMatch(/^eval ppl --compare \[/m);
    expect(r.stderr).toMatch(/eval ppl --compare done: 2\/2/);
    const stream = JSON.parse(r.stdout);
    expect(stream.kl).toBeGreaterThan(1e-4);
    expect(stream.top1Agreement).toBeLessThan(1);
    expect(stream.baseline.perplexity).toBeCloseTo(full.baseline.perplexity, 9);
    expect(stream.deltaPpl).toBeCloseTo(stream.perplexity - stream.baseline.perplexity, 12);
    expect(kvkit([...base, '--quiet', '--format', 'json']).stderr).toBe('');
  });
});

// The shipped GQA model finds a fact planted early in a 256-token prompt with the full cache; StreamingLLM
// at 32 tokens has evicted it (and keeps a fact planted last). Byte counts are the budget's exactly:
// 8 layers x 2 KV heads x 32 dims x (K + V) x f32 per token.
describe('kvkit eval needle', () => {
  const needle = (...args: string[]) => json(['eval', 'needle', '--lengths', '256', '--trials', '4', ...args]);
  const PER_TOKEN = 8 * 2 * 32 * 2 * 4;

  it('retrieves with the full cache and loses the fact when a policy evicts it', () => {
    const full = needle('--depths', '0.1');
    expect(full.data.split).toBe('held-out');
    expect(full.grid).toEqual([{ length: 256, depth: 0.1, trials: 4, correct: full.grid[0].correct, accuracy: full.accuracy }]);
    expect(full.accuracy).toBeGreaterThanOrEqual(3 / 4);
    const early = needle('--depths', '0.1', '--policy', 'streaming', '--budget', '32');
    expect(early.accuracy).toBe(0);
    expect(early.bytesAtLongest).toBe(32 * PER_TOKEN);
    expect(needle('--depths', '1', '--policy', 'streaming', '--budget', '64').accuracy).toBeGreaterThanOrEqual(3 / 4);
  });
});
