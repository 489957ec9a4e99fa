// Device faults on WebGPU (Dawn; SwiftShader without a GPU): a destroyed device is a DeviceLostError on
// the next step, and Session.replayOn continues the sequence on the CPU with the tokens a CPU-only run
// gives; buffers beyond a (tiny) device limit are a DeviceLimitError, with nothing left half-made.
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedFixture } from '@kvkit/fixtures';
import type { LoadedModel } from '@kvkit/loaders';
import { loadModel } from '@kvkit/loaders/node';
import { argmax, LlamaModel, Session } from '@kvkit/runtime';
import { CpuBackend, KvkitError } from '@kvkit/tensor';
import { DeviceLimitError, DeviceLostError, createWebGPUBackend } from '../src/index.js';
import { probeNodeGpu, skipSuite } from './gpu.js';

const GGUF = sharedFixture('models/stories260K/stories260K.gguf');
const STEPS = 12;
const LOST_AT = 5;

const probe = await probeNodeGpu();
if (!probe.gpu) skipSuite('device faults on webgpu', probe.reason);
else {
  const gpu = probe.gpu;
  describe('device faults on webgpu (Dawn)', () => {
    let loaded: LoadedModel;
    const cpu = new CpuBackend();
    beforeAll(async () => {
      loaded = await loadModel(GGUF);
    });

    it('device.destroy() mid-generation: a DeviceLostError, then replayOn(cpu) continues with the same tokens', async () => {
      using cpuModel = LlamaModel.load(cpu, loaded);
      const want: number[] = [];
      {
        using s = new Session(cpuModel);
        let logits = await s.append([loaded.config.bosId]);
        for (let i = 0; i < STEPS; i++) {
          want.push(argmax(logits));
          logits = await s.append([want[i]!]);
        }
      }
      using backend = await createWebGPUBackend({ gpu });
      using gpuModel = LlamaModel.load(backend, loaded);
      using session = new Session(gpuModel);
      const got: number[] = [];
      let logits = await session.append([loaded.config.bosId]);
      for (let i = 0; i < LOST_AT; i++) {
        got.push(argmax(logits));
        logits = await session.append([got[i]!]);
      }
      const next = argmax(logits);
      backend.device.destroy();
      await backend.device.lost;
      const error = await session.append([next]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(DeviceLostError);
      expect((error as DeviceLostError).reason).toBe('destroyed');
      // The failed step fed nothing: the session's tokens are those before it.
      expect(session.tokens).toEqual([loaded.config.bosId, ...got]);
      const { session: onCpu, logits: replayed } = await session.replayOn(cpuModel);
      using _onCpu = onCpu;
      expect(argmax(replayed!)).toBe(next);
      got.push(next);
      logits = await onCpu.append([next]);
      while (got.length < STEPS) {
        got.push(argmax(logits));
        logits = await onCpu.append([got[got.length - 1]!]);
      }
      expect(got).toEqual(want);
    });

    it('a weight beyond a 16-byte buffer limit: a DeviceLimitError, and the backend still runs a model that fits', async () => {
      using tiny = await createWebGPUBackend({ gpu, maxBufferBytes: 16 });
      const error = (() => {
        try {
          LlamaModel.load(tiny, loaded);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(DeviceLimitError);
      expect(error).toBeInstanceOf(KvkitError);
      expect((error as Error).message).toMatch(/exceeds the device's 16-byte buffers/);
      // The same device with room for the weights still works.
      using ok = await createWebGPUBackend({ gpu });
      using m = LlamaModel.load(ok, loaded);
      using s = new Session(m);
      expect((await s.append([loaded.config.bosId])).length).toBe(loaded.config.vocabSize);
    });
  });
}
