import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GGUF, json, kvkit } from './run-kvkit.js';

describe('kvkit plan', () => {
  it('prints exact bytes per choice and a recommendation that fits the budget', () => {
    const out = json(['plan', '--model', GGUF, '--context', '512', '--max-bytes', '100000']);
    const row = (sharing: string, dtype: string) => out.rows.find((r: { sharing: string; kvDtype: string }) => r.sharing === sharing && r.kvDtype === dtype);
    // stories260K: 5 layers x 4 KV heads x 8 dims x (K + V).
    expect(row('as trained', 'f32').bytesPerToken).toBe(5 * 4 * 8 * 2 * 4);
    expect(row('as trained', 'f32').bytesAtContext).toBe(512 * 1280);
    expect(row('as trained', 'f16').bytesPerToken).toBe(640);
    expect(row('as trained', 'int8').bytesPerToken).toBe(5 * 4 * 2 * (8 + 2)); // one f16 scale per 8-value head
    expect(row('MQA', 'f32').bytesPerToken).toBe(5 * 8 * 2 * 4);
    expect(row('as trained', 'f32').tokensWithinBudget).toBe(Math.floor(100000 / 1280));
    // int8 holds floor(100000 / 400) = 250 tokens: DynamicKV at 3/4 of them, recompressing every quarter.
    expect(out.recommendation).toMatchObject({ kind: 'evict', kvDtype: 'int8', tokens: 250, policy: { policy: { kind: 'dynamickv' }, budget: { budget: 188 }, recompressInterval: 62 } });
    expect(out.recommendationText).toContain('--kv-dtype int8 --policy dynamickv --budget 188 --recompress-interval 62');
  });

  it('plans the shipped model at its context by default, as a table, and accepts --json', () => {
    const r = kvkit(['plan', '--max-bytes', '20000000']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('KV cache of gqa (@kvkit/models, default) at 2048 tokens, budget 19.07 MiB');
    expect(r.stdout).toContain('Recommendation: keep the full cache in f32');
    expect(JSON.parse(kvkit(['plan', '--json']).stdout).context).toBe(2048);
  });
});

describe('kvkit policy select', () => {
  it('keeps the newest window and the budget per head; the input path is relative to the current directory', () => {
    let s = 1;
    const rnd = () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1;
    const mat = (n: number) => Array.from({ length: n }, () => Array.from({ length: 8 }, rnd));
    const dir = mkdtempSync(join(tmpdir(), 'kvkit-qk-'));
    writeFileSync(join(dir, 'qk.json'), JSON.stringify({ q: [Array.from({ length: 4 }, () => mat(50))], k: [Array.from({ length: 2 }, () => mat(50))] }));
    const args = ['policy', 'select', '--policy', 'snapkv', '--window', '8', '--input', 'qk.json', '--budget', '20'];
    const out = json(args, { cwd: dir });
    expect(out.kept).toHaveLength(1);
    for (const head of out.kept[0]) {
      expect(head).toHaveLength(20);
      expect(head.slice(-8)).toEqual([42, 43, 44, 45, 46, 47, 48, 49]);
      expect([...head].sort((a: number, b: number) => a - b)).toEqual(head);
    }
    const text = kvkit(args, { cwd: dir });
    expect(text.stdout.split('\n')[0]).toBe(`layer 0 head 0: 20 kept: ${out.kept[0][0].join(' ')}`);
  });
});
