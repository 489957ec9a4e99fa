import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const GGUF = fileURLToPath(new URL('../../../../shared/models/stories260K/stories260K.gguf', import.meta.url));
const json = (...args: string[]) => JSON.parse(execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' }));

describe('kvkit policy select', () => {
  it('keeps the newest window and the budget per head, as JSON', () => {
    let s = 1;
    const rnd = () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1;
    const mat = (n: number) => Array.from({ length: n }, () => Array.from({ length: 8 }, rnd));
    const input = { q: [Array.from({ length: 4 }, () => mat(50))], k: [Array.from({ length: 2 }, () => mat(50))] };
    const file = join(tmpdir(), `kvkit-qk-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(input));
    const out = json('policy', 'select', '--policy', 'snapkv', '--window', '8', '--input', file, '--budget', '20', '--format', 'json');
    expect(out.kept).toHaveLength(1);
    for (const head of out.kept[0]) {
      expect(head).toHaveLength(20);
      expect(head.slice(-8)).toEqual([42, 43, 44, 45, 46, 47, 48, 49]);
      expect([...head].sort((a: number, b: number) => a - b)).toEqual(head);
    }
    const bad = spawnSync(process.execPath, [CLI, 'policy', 'select', '--policy', 'snapkv', '--input', file, '--budget', '4'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/BUDGET_TOO_SMALL/);
  });
});

describe('kvkit plan', () => {
  it('prints exact bytes per choice and a recommendation that fits the budget', () => {
    const out = json('plan', '--model', GGUF, '--context', '512', '--max-bytes', '100000', '--json');
    const row = (sharing: string, dtype: string) => out.rows.find((r: { sharing: string; kvDtype: string }) => r.sharing === sharing && r.kvDtype === dtype);
    // stories260K: 5 layers x 4 KV heads x 8 dims x (K + V).
    expect(row('as trained', 'f32').bytesPerToken).toBe(5 * 4 * 8 * 2 * 4);
    expect(row('as trained', 'f32').bytesAtContext).toBe(512 * 1280);
    expect(row('as trained', 'f16').bytesPerToken).toBe(640);
    expect(row('as trained', 'int8').bytesPerToken).toBe(5 * 4 * 2 * (8 + 2)); // one f16 scale per 8-value head
    expect(row('MQA', 'f32').bytesPerToken).toBe(5 * 8 * 2 * 4);
    expect(row('as trained', 'f32').tokensWithinBudget).toBe(Math.floor(100000 / 1280));
    expect(out.recommendation).toMatch(/--policy/);
  });
});

describe('kvkit eval ppl', () => {
  it('reproduces the reference perplexity of stories260K on TinyStories (first window)', () => {
    const out = json('eval', 'ppl', '--model', GGUF, '--windows', '2', '--format', 'json');
    expect(out.tokens).toBe(1022);
    expect(out.nll).toBeGreaterThan(1.3);
    expect(out.nll).toBeLessThan(1.6);
  });

  it('compares a policy with the full cache', () => {
    const full = json('eval', 'ppl', '--model', GGUF, '--windows', '1', '--policy', 'full', '--compare', '--format', 'json');
    expect(full.kl).toBeLessThan(1e-9);
    expect(full.top1Agreement).toBe(1);
    const stream = json('eval', 'ppl', '--model', GGUF, '--windows', '1', '--policy', 'streaming', '--budget', '32', '--compare', '--format', 'json');
    expect(stream.kl).toBeGreaterThan(1e-4);
    expect(stream.top1Agreement).toBeLessThan(1);
  });
});
