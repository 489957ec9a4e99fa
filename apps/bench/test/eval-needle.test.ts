// kvkit eval needle on the project's GQA model (models/gqa): the full cache finds a fact planted early in a
// 512-token prompt; StreamingLLM at 32 tokens has evicted it (and keeps a fact planted last); Ada-KV at 256
// keeps it. Byte counts are the budget's exactly: 8 layers x 2 KV heads x 32 dims x (K + V) x f32 per token.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const needle = (...args: string[]) =>
  JSON.parse(execFileSync(process.execPath, [CLI, 'eval', 'needle', '--lengths', '512', '--trials', '6', '--backend', 'wasm', '--format', 'json', ...args], { encoding: 'utf8' }));
const PER_TOKEN = 8 * 2 * 32 * 2 * 4;

describe('kvkit eval needle', () => {
  it('retrieves with the full cache and loses the fact when a policy evicts it', () => {
    const full = needle('--depths', '0.1');
    expect(full.grid).toEqual([{ length: 512, depth: 0.1, trials: 6, correct: full.grid[0].correct, accuracy: full.accuracy }]);
    expect(full.accuracy).toBeGreaterThanOrEqual(5 / 6);
    const early = needle('--depths', '0.1', '--policy', 'streaming', '--budget', '32');
    expect(early.accuracy).toBe(0);
    expect(early.bytesAtLongest).toBe(32 * PER_TOKEN);
    expect(needle('--depths', '1', '--policy', 'streaming', '--budget', '64').accuracy).toBeGreaterThanOrEqual(5 / 6);
    const ada = needle('--depths', '0.1', '--policy', 'adakv', '--budget', '256');
    expect(ada.accuracy).toBeGreaterThanOrEqual(4 / 6);
    expect(ada.bytesAtLongest).toBeLessThanOrEqual(256 * PER_TOKEN);
  });

  it('rejects lengths beyond the context and depths outside [0, 1]', () => {
    const run = (...a: string[]) => spawnSync(process.execPath, [CLI, 'eval', 'needle', ...a], { encoding: 'utf8' });
    expect(run('--lengths', '4096').stderr).toMatch(/exceeds the model's context of 2048/);
    expect(run('--depths', '1.5').status).toBe(2);
  });
});
