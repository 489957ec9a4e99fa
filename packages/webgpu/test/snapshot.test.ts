// Cache snapshots cross backends: a snapshot taken on the CPU or WASM backend restores on WebGPU
// (Dawn) and continues with the tokens the CPU session continues with, and one taken on WebGPU
// restores on the CPU; the restored cache holds the same positions and bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedFixture } from '@kvkit/fixtures';
import type { PolicyInput } from '@kvkit/cache';
import type { LoadedModel } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import type { SessionOptions } from '@kvkit/runtime';
import { generate, LlamaModel, Session } from '@kvkit/runtime';
import type { Backend, KvDtype } from '@kvkit/tensor';
import { CpuBackend } from '@kvkit/tensor';
import { createWasmCpuBackend } from '@kvkit/tensor/node';
import type { WebGPUBackend } from '../src/index.js';
import { createWebGPUBackend } from '../src/index.js';
import { probeNodeGpu, skipSuite } from './gpu.js';

const GGUF = sharedFixture('models/stories260K/stories260K.gguf');

const CASES: readonly [PolicyInput, KvDtype, 'contiguous' | 'paged'][] = [
  [{ kind: 'h2o' }, 'int8', 'paged'],
  [{ kind: 'snapkv', window: 8 }, 'kivi4', 'paged'],
  [{ kind: 'tova' }, 'f16', 'contiguous'],
  [{ kind: 'streaming', sinks: 4 }, 'f32', 'paged'],
  [{ kind: 'full' }, 'kivi2', 'contiguous'],
];

async function greedy(session: Session, prompt: readonly number[], n: number): Promise<number[]> {
  const out: number[] = [];
  for await (const t of generate(session, prompt, { maxTokens: n, stopTokens: [] })) out.push(t.token);
  return out;
}

function held(s: Session): number[][][] {
  return s.cache.sourceLayers.map((l) => Array.from({ length: s.cache.nKvHeads }, (_, h) => Array.from(s.cache.layer(l).positionsOf(h))));
}

/** 20 tokens on `from`, a snapshot, then 20 more there and 20 more on `to` after a restore. */
async function across(from: LlamaModel, to: LlamaModel, opts: SessionOptions, prompt: readonly number[]) {
  using a = new Session(from, opts);
  const head = await greedy(a, prompt, 20);
  const bytes = await a.snapshot();
  using b = Session.restore(to, bytes);
  expect(held(b)).toEqual(held(a));
  expect(b.stats().bytesUsed).toBe(a.stats().bytesUsed);
  const last = [head[head.length - 1]!];
  const want = await greedy(a, last, 20);
  const got = await greedy(b, last, 20);
  return { want, got, heldA: held(a), heldB: held(b) };
}

const probe = await probeNodeGpu();
if (!probe.gpu) skipSuite('snapshots across backends', probe.reason);
else {
  const gpu = probe.gpu;
  describe('snapshots across backends (Dawn)', () => {
    let loaded: LoadedModel;
    let webgpu: WebGPUBackend;
    let wasm: Backend;
    const models: Record<'cpu' | 'wasm' | 'webgpu', LlamaModel> = {} as never;
    const prompt: number[] = [];
    beforeAll(async () => {
      loaded = await loadModel(GGUF);
      webgpu = await createWebGPUBackend({ gpu });
      wasm = await createWasmCpuBackend({ threads: 1 });
      models.cpu = LlamaModel.load(new CpuBackend(), loaded);
      models.wasm = LlamaModel.load(wasm, loaded);
      models.webgpu = LlamaModel.load(webgpu, loaded);
      using s = new Session(models.cpu);
      prompt.push(loaded.config.bosId, ...(await greedy(s, [loaded.config.bosId], 49)));
    });
    afterAll(() => {
      for (const m of Object.values(models)) m.dispose();
      webgpu?.dispose();
      wasm?.[Symbol.dispose]();
    });

    it('one model, one identity on every backend', () => {
      expect(models.webgpu.identity).toBe(models.cpu.identity);
      expect(models.wasm.identity).toBe(models.cpu.identity);
    });

    it.each(CASES)('%o %s %s: CPU -> WebGPU, WASM -> WebGPU, WebGPU -> CPU', async (policy, kvDtype, layout) => {
      const opts: SessionOptions = { layout, kvDtype, maxTokens: 128, ...(kvDtype.startsWith('kivi') ? { kivi: { group: 8, residual: 16 } } : {}), policy: { policy, budget: { budget: 24 } } };
      for (const [from, to] of [['cpu', 'webgpu'], ['wasm', 'webgpu'], ['webgpu', 'cpu']] as const) {
        const r = await across(models[from], models[to], opts, prompt);
        expect(r.got, `${from} -> ${to}`).toEqual(r.want);
        expect(r.heldB, `${from} -> ${to}`).toEqual(r.heldA);
      }
    });
  });
}
