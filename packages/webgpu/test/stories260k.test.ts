// End to end on a real model: stories260K through @kvkit/runtime on WebGPU (Dawn) gives the CPU
// backend's greedy tokens, close logits, one submit per decoded token, and the same cache policy
// selections (SnapKV and H2O at a budget of 64).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedFixture } from '@kvkit/fixtures';
import type { LoadedModel } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import type { SessionOptions } from '@kvkit/runtime';
import { argmax, LlamaModel, Session } from '@kvkit/runtime';
import type { Backend } from '@kvkit/tensor';
import { CpuBackend } from '@kvkit/tensor';
import type { WebGPUBackend } from '../src/index.js';
import { createWebGPUBackend } from '../src/index.js';
import { probeNodeGpu, skipSuite } from './gpu.js';

const GGUF = sharedFixture('models/stories260K/stories260K.gguf');

async function greedy(backend: Backend, loaded: LoadedModel, n: number, prompt: readonly number[] = [loaded.config.bosId], opts: SessionOptions = {}) {
  using model = LlamaModel.load(backend, loaded);
  using session = new Session(model, opts);
  const logits: Float32Array[] = [];
  const tokens: number[] = [];
  let last = await session.append(prompt);
  for (let i = 0; i < n; i++) {
    logits.push(last);
    const best = argmax(last);
    tokens.push(best);
    if (i + 1 < n) last = await session.append([best]);
  }
  // Which positions each (layer, KV head) kept: what a policy selected.
  const kept = model.layers.map((_, l) => {
    const v = session.cache.view(l);
    const cap = v.pagesPerHead * v.pageSize;
    return Array.from({ length: v.nKvHeads }, (_, h) => Array.from(v.positions.subarray(h * cap, h * cap + v.lengths[h]!)).sort((a, b) => a - b));
  });
  return { tokens, logits, kept };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const probe = await probeNodeGpu();
if (!probe.gpu) skipSuite('stories260K on webgpu', probe.reason);
else {
  const gpu = probe.gpu;
  describe('stories260K on webgpu (Dawn)', () => {
    let loaded: LoadedModel;
    let backend: WebGPUBackend;
    const cpu = new CpuBackend();
    beforeAll(async () => {
      loaded = await loadModel(GGUF);
      backend = await createWebGPUBackend({ gpu });
    });
    afterAll(() => backend?.dispose());

    it('greedy 256 tokens from BOS equal the CPU backend, logits within 1e-4, one submit per token', async () => {
      const ref = await greedy(cpu, loaded, 256);
      const before = backend.counters.submits;
      const got = await greedy(backend, loaded, 256);
      expect(got.tokens).toEqual(ref.tokens);
      let worst = 0;
      for (let i = 0; i < 256; i++) worst = Math.max(worst, maxAbsDiff(got.logits[i]!, ref.logits[i]!));
      console.log(`[@kvkit/webgpu] stories260K: 256 greedy tokens equal the CPU's; max |logit difference| ${worst.toExponential(2)}; ${backend.counters.submits - before} submits`);
      expect(worst).toBeLessThan(1e-4);
      expect(backend.counters.submits - before).toBe(256);
    });

    let prompt: Promise<number[]> | undefined;
    for (const kind of ['snapkv', 'h2o'] as const) {
      it(`${kind} at a budget of 64 keeps the same tokens as on the CPU and generates the same text`, async () => {
        prompt ??= greedy(cpu, loaded, 120).then((r) => [loaded.config.bosId, ...r.tokens]);
        const opts: SessionOptions = { policy: { policy: { kind }, budget: { budget: 64 } } };
        const ids = await prompt;
        const ref = await greedy(cpu, loaded, 24, ids, opts);
        const got = await greedy(backend, loaded, 24, ids, opts);
        expect(ref.kept[0]![0]!.length).toBeLessThan(ids.length);
        expect(got.kept).toEqual(ref.kept);
        expect(got.tokens).toEqual(ref.tokens);
      });
    }
  });
}
