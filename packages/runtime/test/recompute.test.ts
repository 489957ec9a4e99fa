import { describe, expect, it } from 'vitest';
import { loadModel } from '@kvkit/loaders/node';
import { CpuBackend } from '@kvkit/tensor';
import { LlamaModel, Session } from '../src/index.js';
import { STORIES } from './shared-model.js';

const STEPS = 64;

describe('recompute (no cache) mode', () => {
  // Recompute mode redoes the whole prefix every step (quadratic): 64 steps keep this seconds long on a
  // loaded CI machine (300 took minutes there); `kvkit bench cache` compares 128 to 480 tokens.
  it('matches the cached logits within 1e-5 at every step for 64 steps', async () => {
    const loaded = await loadModel(`${STORIES}stories260K.bin`);
    const model = LlamaModel.load(new CpuBackend(), loaded);
    const cached = new Session(model);
    const recompute = new Session(model, { mode: 'recompute' });
    let a = await cached.append([1]);
    let b = await recompute.append([1]);
    let worst = 0;
    for (let step = 0; step < STEPS; step++) {
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j]! - b[j]!));
      let best = 0;
      for (let j = 1; j < a.length; j++) if (a[j]! > a[best]!) best = j;
      a = await cached.append([best]);
      b = await recompute.append([best]);
    }
    expect(worst).toBeLessThan(1e-5);
    expect(recompute.stats().bytesUsed).toBe(0);
    expect(cached.stats().bytesUsed).toBe((STEPS + 1) * cached.stats().bytesPerToken);
  });
});
