// Usage errors: exit code 2, a message naming the flag to change, and nothing on stdout (every value
// is checked before any output, including the ones that need the model, such as the prompt's length).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importPeer } from '../src/peers.js';
import { kvkit, STORIES } from './run-kvkit.js';

function usage(args: string[], message: RegExp | string): void {
  const r = kvkit(args);
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message);
  expect(r.stderr.startsWith('kvkit: ')).toBe(true);
}

describe('usage errors', () => {
  it('reads a negative number as the value of its flag and says what the flag must be', () => {
    usage(['generate', '--policy', 'snapkv', '--budget', '-5'], "--budget must be an integer >= 0, got '-5'");
    usage(['generate', '--budget', '-5'], '--budget needs --policy');
    usage(['generate', '--temperature', '-0.5'], "--temperature must be a number >= 0, got '-0.5'");
    usage(['plan', '--context', '-3'], "--context must be an integer >= 1, got '-3'");
  });

  it('names the flag for budgets a policy cannot run with', () => {
    usage(['generate', '--policy', 'streaming', '--budget', '0'], '--budget must be at least 4 for --policy streaming');
    usage(['generate', '--policy', 'snapkv', '--window', '8', '--budget', '4'], '--budget must be at least 8 for --policy snapkv');
    usage(['generate', '--policy', 'window'], '--policy window needs --window <tokens>');
    usage(['generate', '--policy', 'snapkv'], '--policy snapkv needs --budget <tokens>, --ratio <r> or --max-bytes <bytes>');
    usage(['generate', '--policy', 'snapkv', '--budget', '64', '--sinks', '2'], '--sinks does not apply to --policy snapkv');
    usage(['generate', '--policy', 'snapkv', '--budget', '64', '--ratio', '0.5'], 'give one of --budget, --ratio and --max-bytes');
    usage(['generate', '--ratio', '1.5', '--policy', 'h2o'], "--ratio must be a number in (0, 1], got '1.5'");
    usage(['generate', '--max-bytes', '100000', '--kv-dtype', 'int8'], 'drop --kv-dtype, or add --policy');
    usage(['generate', '--kivi-group', '16'], '--kivi-group applies to --kv-dtype kivi2 or kivi4');
    usage(['generate', '--kv-dtype', 'kivi4', '--kivi-group', '32', '--kivi-residual', '48'], '--kivi-residual (48) must be a positive multiple of --kivi-group (32)');
  });

  it('rejects unknown flags, stray words, bad enums and missing values', () => {
    usage(['generate', '--max-token', '5'], 'unknown option --max-token for \'kvkit generate\' (did you mean --max-tokens?)');
    usage(['generate', 'Once upon a time'], "unexpected argument 'Once upon a time'");
    usage(['generate', '--format', 'xml'], "--format must be one of text, json, got 'xml'");
    usage(['generate', '--max-tokens', 'abc'], "--max-tokens must be an integer >= 1, got 'abc'");
    usage(['generate', '--prompt'], '--prompt needs a value <text>');
    usage(['generate', '--prompt', '--max-tokens', '3'], '--prompt needs a value');
    usage(['generate', '--seed', '0', '--temperature', '1'], "--seed must be an integer from 1 to 4294967295, got '0'");
    usage(['generate', '--backend', 'cpu', '--threads', '2'], '--threads applies to --backend wasm or auto, not cpu');
    usage(['generate', '--backend', 'tpu'], "--backend must be one of auto, cpu, wasm, webgpu, got 'tpu'");
    usage(['policy', 'select', '--policy', 'snapkv', '--budget', '40'], '--input is required');
  });

  it('checks what needs the model before printing anything: a prompt longer than the context', () => {
    usage(['generate', '--prompt', 'Once upon a time. '.repeat(1200)], /--prompt is \d+ tokens but the model's context is 2048 .*shorten --prompt/);
    usage(['generate', '--model', `${STORIES}stories260K.bin`, '--prompt', 'Lily and Tom play. '.repeat(90), '--format', 'text'], /the model's context is 512/);
  });

  it('checks data and input files, resolved from the current directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvkit-usage-'));
    usage(['eval', 'ppl', '--split', 'all'], '--split all needs --data');
    usage(['eval', 'ppl', '--data', 'missing.txt'], '--data missing.txt: no such file');
    writeFileSync(join(dir, 'one-paragraph.txt'), 'no blank line in this file at all');
    const r = kvkit(['eval', 'ppl', '--data', 'one-paragraph.txt'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('has no held-out part');
    expect(kvkit(['eval', 'needle', '--lengths', '4096']).stderr).toMatch(/--lengths 4096 exceeds the model's context of 2048/);
    usage(['eval', 'needle', '--depths', '1.5'], "--depths must be a number in [0, 1], got '1.5'");
    writeFileSync(join(dir, 'bad.json'), '{"q": 1');
    const bad = kvkit(['policy', 'select', '--input', 'bad.json', '--policy', 'snapkv', '--budget', '40'], { cwd: dir });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--input bad.json is not JSON');
  });

  it('says which optional package to install', async () => {
    await expect(importPeer('kvkit-no-such-package', '--backend webgpu', '@kvkit/webgpu webgpu')).rejects.toMatchObject({
      code: 'PEER_MISSING',
      message: '--backend webgpu needs the optional packages @kvkit/webgpu webgpu, which are not installed: npm i @kvkit/webgpu webgpu',
    });
  });
});

describe('runtime errors', () => {
  it('exit with code 1 and a typed error naming what to change', () => {
    const r = kvkit(['generate', '--model', '/nonexistent/model.gguf', '--max-tokens', '2']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kvkit: MODEL_NOT_FOUND: --model \/nonexistent\/model.gguf: no such file or folder/);
  });
});
