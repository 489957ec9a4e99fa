import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedFixture } from '@kvkit/fixtures';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const STORIES260K = sharedFixture('models/stories260K/stories260K.gguf');
const out = mkdtempSync(join(tmpdir(), 'kvkit-bench-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function bench(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'bench', ...args, '--out', out, '--quiet'], { encoding: 'utf8', cwd: out });
  if (r.status !== 0) throw new Error(`kvkit bench ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r;
}
const json = (...args: string[]) => JSON.parse(bench(...args, '--json').stdout);

/** node-llama-cpp is optional: the peers test runs where its prebuilt CPU binary loads. */
const llamaCpp = await import('node-llama-cpp' as string).then(
  () => true,
  () => false,
);

describe('the repository bin (pnpm kvkit)', () => {
  it('serves the public commands and the bench commands, with help for each', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: out });
    for (const cmd of [['generate'], ['chat'], ['plan'], ['eval', 'ppl'], ['bench'], ['bench', 'memory'], ['bench', 'kernels']]) {
      const r = run(...cmd, '--help');
      expect(r.status, cmd.join(' ')).toBe(0);
      expect(r.stdout.startsWith(`kvkit ${cmd.join(' ')}: `)).toBe(true);
    }
    expect(run('bench', 'memory', '--help').stdout).toMatch(/--contexts <value>\s+\[default: 4096,32768,131072\]/);
    const plan = JSON.parse(run('plan', '--model', STORIES260K, '--context', '64', '--json').stdout);
    expect(plan.rows[0].bytesAtContext).toBe(64 * 5 * 4 * 8 * 2 * 4);
  });

  it('resolves paths from the folder pnpm was run in (INIT_CWD), not the repository root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvkit-initcwd-'));
    writeFileSync(join(dir, 'qk.json'), JSON.stringify({ q: [[[[1, 0], [0, 1], [1, 1]]]], k: [[[[1, 0], [0, 1], [1, 1]]]] }));
    const r = spawnSync(process.execPath, [CLI, 'policy', 'select', '--input', 'qk.json', '--policy', 'window', '--window', '2', '--format', 'json'], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      env: { ...process.env, npm_lifecycle_event: 'kvkit', INIT_CWD: dir },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).kept).toEqual([[[1, 2]]]);
  });
});

describe('kvkit bench', () => {
  it('checks --out before a suite starts, with a usage error and nothing on stdout', () => {
    const file = join(out, 'not-a-folder');
    writeFileSync(file, '');
    const r = spawnSync(process.execPath, [CLI, 'bench', 'memory', '--out', join(file, 'reports')], { encoding: 'utf8', cwd: out });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kvkit: --out .* cannot be written/);
  });

  it('asks for a suite, --quick or --all', () => {
    const r = spawnSync(process.execPath, [CLI, 'bench'], { encoding: 'utf8', cwd: out });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--quick/);
    expect(spawnSync(process.execPath, [CLI, 'bench', 'memory', '--contexts', 'x'], { encoding: 'utf8', cwd: out }).status).toBe(2);
  });

  it('memory: published configs, the MLKV paper row and the live cache equal to the formula', () => {
    const r = json('memory', '--contexts', '4096,32768', '--tokens', '140', '--kv-dtypes', 'f16,kivi2');
    expect(r.ok).toBe(true);
    expect(r.mlkvPaper.map((p: { gib: number }) => p.gib)).toEqual([144, 1.5, 0.375]);
    const l2 = r.rows.find((x: { model: string; sharing: string; kvDtype: string }) => x.model === 'Llama-2-7B' && x.sharing === 'MHA' && x.kvDtype === 'f16');
    expect(l2.bytesPerToken).toBe(2 * 32 * 32 * 128 * 2);
    expect(l2.bytesAt['4096']).toBe(2 * 2 ** 30);
    expect(r.live.length).toBeGreaterThanOrEqual(30);
    expect(r.live.every((x: { equal: boolean | null }) => x.equal !== false)).toBe(true);
    for (const f of ['memory.json', 'report.md', 'bytes-by-model.svg']) expect(existsSync(join(out, 'memory', f))).toBe(true);
    expect(readFileSync(join(out, 'memory', 'report.md'), 'utf8')).toContain("MLKV paper's OPT-175B row");
  });

  it('quality: the full policy equals the full cache; a small budget costs KL and agreement', () => {
    const r = json('quality', '--policies', 'full,streaming', '--budgets', '16', '--kv-dtypes', 'f32,int8', '--datasets', 'tinystories', '--window-len', '96', '--gen-tokens', '48');
    expect(r.ok).toBe(true);
    const full = r.rows.find((x: { policy: string; kvDtype: string }) => x.policy === 'full' && x.kvDtype === 'f32');
    expect(full.kl).toBe(0);
    expect(full.top1Agreement).toBe(1);
    const stream = r.rows.find((x: { policy: string; kvDtype: string }) => x.policy === 'streaming' && x.kvDtype === 'f32');
    expect(stream.kl).toBeGreaterThan(1e-4);
    expect(r.checks.map((c: { name: string }) => c.name)).toContain('full-cache policy = baseline tokens (int8)');
    expect(existsSync(join(out, 'quality', 'kl-vs-budget-tinystories.svg'))).toBe(true);
  });

  it('speed: random-weight GGUF models written once, timed per policy and context', () => {
    const args = ['speed', '--shapes', 'tiny', '--contexts', '24,48', '--decode', '4', '--policies', 'full-cache,full,h2o', '--budget', '16'];
    const r = json(...args);
    expect(r.ok).toBe(true);
    expect(r.rows).toHaveLength(2 * 3 * 2);
    for (const row of r.rows) {
      expect(row.prefillTokensPerSecond).toBeGreaterThan(0);
      expect(row.decodeTokensPerSecond).toBeGreaterThan(0);
    }
    const h2o = r.rows.find((x: { policy: string; context: number }) => x.policy === 'h2o' && x.context === 48);
    const fullCache = r.rows.find((x: { policy: string; context: number; weights: string }) => x.policy === 'full-cache' && x.context === 48 && x.weights === h2o.weights);
    expect(h2o.kvBytes).toBeLessThan(fullCache.kvBytes);
    expect(r.checks.filter((c: { name: string }) => c.name.startsWith('policy full = full cache'))).toHaveLength(4);
    expect(existsSync(join(out, 'models', 'kvkit-random-tiny-q8_0-s1234-v1.gguf'))).toBe(true);
    expect(existsSync(join(out, 'speed', 'decode-tiny-f32.svg'))).toBe(true);
  });

  it.skipIf(!llamaCpp)('peers: llama.cpp reads kvkit-written GGUF files and agrees on stories260K', () => {
    const r = json('peers', '--shapes', 'tiny', '--weights', 'f32', '--contexts', '16', '--decode', '4', '--threads', '1', '--reps', '1', '--agreement-tokens', '64');
    if (r.llamaCpp === null) return; // the binary did not load on this machine: reported as skipped
    expect(r.ok).toBe(true);
    expect(r.agreement.prefix).toBe(64);
    expect(r.ratios).toHaveLength(1);
    expect(r.ratios[0].decodeRatio).toBeGreaterThan(0);
  });

  it.skipIf(!llamaCpp)('peers --kvkit-backend wasm compares at equal thread counts', () => {
    const r = json('peers', '--shapes', 'tiny', '--weights', 'q8_0', '--contexts', '16', '--decode', '4', '--threads', '1,2', '--reps', '1', '--agreement-tokens', '16', '--kvkit-backend', 'wasm');
    if (r.llamaCpp === null) return;
    const kvkit = r.rows.filter((x: { engine: string }) => x.engine === 'kvkit').map((x: { threads: number }) => x.threads);
    expect(kvkit).toEqual([1, 2]);
    expect(r.ratios.map((x: { threads: number }) => x.threads)).toEqual([1, 2]);
  });

  it('prefix: warm prefixes give the cold logits, shared conversations hold under 1.5x one, snapshot K/V equals bytesUsed', () => {
    const r = json('prefix', '--quick', '--doc', '64', '--questions', '2', '--kv-dtypes', 'f32', '--budget', '32', '--backend', 'cpu');
    expect(r.suite).toBe('prefix');
    expect(r.checks.filter((c: { ok: boolean; skipped?: boolean }) => !c.ok && !c.skipped)).toEqual([]);
    expect(r.ttft[0]).toMatchObject({ kvDtype: 'f32', reused: 64, sameLogits: true });
    expect(r.memory.sharedBytes).toBeLessThan(r.memory.privateBytes);
    expect(r.snapshots).toHaveLength(9);
    for (const s of r.snapshots) expect(s.snapshotBytes).toBeGreaterThan(s.bytesUsed);
    expect(existsSync(join(out, 'prefix', 'report.md'))).toBe(true);
  });

  it('cache: keeps its flags and JSON, now with a report', () => {
    const r = json('cache', '--lengths', '8,16');
    expect(r.model).toBe('default');
    expect(r.rows.map((x: { tokens: number }) => x.tokens)).toEqual([8, 16]);
    expect(r.rows.every((x: { sameTokens: boolean }) => x.sameTokens)).toBe(true);
    expect(existsSync(join(out, 'cache', 'speedup.svg'))).toBe(true);
  });
});
