// backend: 'auto' picks WebGPU only on a hardware adapter; here (no GPU, at most a software Vulkan
// driver) it must pick the WASM backend with a thread per available core.
import { availableThreads } from '@kvkit/tensor/node';
import { describe, expect, it } from 'vitest';
import { openBackend } from '../src/index.js';

describe('openBackend', () => {
  it("'auto' without a hardware GPU: WASM with every available core, and says why", async () => {
    const { backend, info } = await openBackend('auto');
    try {
      expect(info.kind).toBe('wasm');
      expect(info.threads).toBe(Math.min(32, availableThreads()));
      expect(info.reason).toMatch(/no hardware GPU/);
    } finally {
      backend[Symbol.dispose]();
    }
  });

  it('explicit choices and bad input', async () => {
    const cpu = await openBackend('cpu');
    expect(cpu.info).toMatchObject({ kind: 'cpu', threads: 1 });
    const wasm = await openBackend('wasm', { threads: 2 });
    expect(wasm.info).toMatchObject({ kind: 'wasm', threads: 2 });
    wasm.backend[Symbol.dispose]();
    await expect(openBackend('tpu' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(openBackend('wasm', { threads: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
