// The whole prefill path (keys in a real paged cache, the CPU backend's attention producing the
// statistics, the policy runner selecting and the layout compacting) against float64 references
// computed straight from q and k.
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '@kvkit/tensor';
import { selectFromQK } from '../src/index.js';
import type { Boundaries, Heads } from './policy-reference.js';
import { isClear, Prng, randomHeads, refAdaKV, refDynamicKV, refH2O, refPyramidKV, refSnapKV } from './policy-reference.js';

const cpu = new CpuBackend();
const input = (layers: Heads[]) => ({ q: layers.map((m) => m.q), k: layers.map((m) => m.k) });

describe('selectFromQK: runtime prefill path vs float64 references', () => {
  it('SnapKV, Ada-KV and H2O keep the reference positions (GQA, MQA, MHA)', async () => {
    let clear = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const rng = new Prng(seed);
      const [H, Hkv] = rng.pick([[8, 4], [4, 1], [4, 4]] as const);
      const n = rng.int(40, 90);
      const m = randomHeads(rng, H, Hkv, n, 8);
      const B = rng.int(12, 30);
      const w = 8;
      const bs: Boundaries = [];
      const snap = refSnapKV(m, { w, kernel: 5, pooling: 'avg' }, B, bs);
      const ada = refAdaKV(m, { w, kernel: 7, pooling: 'max', alpha: 0.2 }, B, bs);
      const h2o = refH2O(m, B - Math.floor(B / 2), Math.floor(B / 2), false, bs);
      if (!isClear(bs)) continue;
      clear++;
      const run = async (policy: Parameters<typeof selectFromQK>[2]['policy']) => (await selectFromQK(cpu, input([m]), { policy, budget: { budget: B } })).kept[0];
      expect(await run({ kind: 'snapkv', window: w, kernel: 5, pooling: 'avg' }), `snapkv seed ${seed}`).toEqual(snap);
      expect(await run({ kind: 'adakv', window: w }), `adakv seed ${seed}`).toEqual(ada);
      expect(await run({ kind: 'h2o' }), `h2o seed ${seed}`).toEqual(h2o);
    }
    expect(clear).toBeGreaterThan(15);
  });

  it('PyramidKV and DynamicKV use every layer together', async () => {
    let clear = 0;
    for (let seed = 100; seed < 110; seed++) {
      const rng = new Prng(seed);
      const layers = Array.from({ length: 5 }, () => randomHeads(rng, 8, 4, 80, 8));
      const B = 24;
      const bs: Boundaries = [];
      const pyr = refPyramidKV(layers, { w: 8, kernel: 5, pooling: 'avg', beta: 20 }, B, bs);
      const dyn = refDynamicKV(layers, { w: 8, kernel: 7, pooling: 'avg', rMax: 10, m: 4 }, B, bs);
      if (!isClear(bs)) continue;
      clear++;
      const p = await selectFromQK(cpu, input(layers), { policy: { kind: 'pyramidkv', window: 8 }, budget: { budget: B } });
      const d = await selectFromQK(cpu, input(layers), { policy: { kind: 'dynamickv' }, budget: { budget: B } });
      expect(p.kept, `pyramidkv seed ${seed}`).toEqual(pyr);
      expect(d.kept, `dynamickv seed ${seed}`).toEqual(dyn.kept);
      // Per-layer budgets differ but the whole cache stays within L x B tokens per head.
      const held = d.kept.reduce((s, l) => s + l[0]!.length, 0);
      expect(held).toBeLessThanOrEqual(5 * B);
    }
    expect(clear).toBeGreaterThan(5);
  });

  it('reports per layer and head, and "no compression needed" when the prompt fits', async () => {
    const m = randomHeads(new Prng(7), 4, 2, 20, 8);
    const small = await selectFromQK(cpu, input([m]), { policy: { kind: 'snapkv', window: 4 }, budget: { budget: 32 } });
    expect(small.report.layers[0]!.noCompressionNeeded).toBe(true);
    expect(small.kept[0]![0]).toHaveLength(20);
    const big = await selectFromQK(cpu, input([m]), { policy: { kind: 'snapkv', window: 4 }, budget: { budget: 10 } });
    expect(big.report.layers[0]!.heads).toEqual([
      { kvHead: 0, before: 20, after: 10 },
      { kvHead: 1, before: 20, after: 10 },
    ]);
    expect(big.report.layers[0]!.bytesFreed).toBe(2 * 10 * 2 * 8 * 4);
  });

  it('rejects ragged inputs and budgets below the window with typed errors', async () => {
    const m = randomHeads(new Prng(3), 4, 2, 20, 8);
    await expect(selectFromQK(cpu, { q: [m.q], k: [[m.k[0]!, m.k[1]!, m.k[0]!]] }, { policy: { kind: 'snapkv' }, budget: { budget: 40 } })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    await expect(selectFromQK(cpu, input([m]), { policy: { kind: 'snapkv', window: 8 }, budget: { budget: 4 } })).rejects.toMatchObject({ code: 'BUDGET_TOO_SMALL' });
  });
});
