import { describe, expect, it } from 'vitest';
import { bytesPerToken } from '../src/bytes.js';
import { InvalidSharingConfigError } from '../src/errors.js';
import {
  kvSourceCla,
  kvSourceIdentity,
  kvSourceMlkv,
  kvSourceSharedTail,
  kvSourceTrainingFree,
  mlkvOwners,
  numKvHeads,
  sourceLayers,
  validateKvSource,
  yocoConfig,
} from '../src/sharing/index.js';

describe('MLKV owners: [0] + [int((i + 1) * L / m) for i in range(m - 1)]', () => {
  it('L = 12 (Pythia-160M): m = 6, 2, 1', () => {
    expect(mlkvOwners(12, 6)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(mlkvOwners(12, 2)).toEqual([0, 6]);
    expect(mlkvOwners(12, 1)).toEqual([0]);
    expect(mlkvOwners(12, 12)).toEqual(range(12));
    expect(kvSourceMlkv(12, 6)).toEqual([0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10]);
    expect(kvSourceMlkv(12, 2)).toEqual([0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6]);
    expect(kvSourceMlkv(12, 1)).toEqual(new Array(12).fill(0));
  });
  it('L = 8: m = 4, 2; and an uneven split', () => {
    expect(mlkvOwners(8, 4)).toEqual([0, 2, 4, 6]);
    expect(mlkvOwners(8, 2)).toEqual([0, 4]);
    expect(mlkvOwners(5, 3)).toEqual([0, 1, 3]); // int(5/3) = 1, int(10/3) = 3
    expect(kvSourceMlkv(8, 4)).toEqual([0, 0, 2, 2, 4, 4, 6, 6]);
  });
  it('rejects m outside 1..L', () => {
    expect(() => mlkvOwners(12, 0)).toThrow(InvalidSharingConfigError);
    expect(() => mlkvOwners(12, 13)).toThrow(InvalidSharingConfigError);
  });
});

describe('MLKV paper, OPT-175B KV cache row: 144 GB / 1.5 GB / 0.375 GB', () => {
  // OPT-175B: 96 layers, 96 heads, d = 128, fp16 -> MHA costs 2 * 96 * 96 * 128 * 2 = 4.5 MiB a token.
  // Only binary gigabytes give a whole number of tokens: 144 GiB / 4.5 MiB = 32768 = batch x context
  // (e.g. batch 16 at OPT's 2048 context; the split itself cannot be recovered from the sizes).
  // 1.5 GiB is MQA (one KV head in each of the 96 layers, 96x less) and 0.375 GiB is MLKV with 24
  // KV layers of one head (96 / 4). 144e9 B would be 30517.6 tokens, so decimal GB do not fit.
  const tokens = 32768;
  const GiB = 2 ** 30;
  const opt = { headDim: 128, kvDtype: 'f16' as const };
  it('reproduces the row exactly', () => {
    expect(bytesPerToken({ ...opt, kvSource: kvSourceIdentity(96), nKvHeads: 96 }) * tokens).toBe(144 * GiB);
    expect(bytesPerToken({ ...opt, kvSource: kvSourceIdentity(96), nKvHeads: numKvHeads(96, { kind: 'mqa' }) }) * tokens).toBe(1.5 * GiB);
    expect(bytesPerToken({ ...opt, kvSource: kvSourceMlkv(96, 24), nKvHeads: 1 }) * tokens).toBe(0.375 * GiB);
    expect(Number.isInteger((144e9 / bytesPerToken({ ...opt, kvSource: kvSourceIdentity(96), nKvHeads: 96 })))).toBe(false);
  });
});

describe('other sharing maps', () => {
  it('CLA: every f-th layer computes K/V', () => {
    expect(kvSourceCla(6, 2)).toEqual([0, 0, 2, 2, 4, 4]);
    expect(kvSourceCla(7, 3)).toEqual([0, 0, 0, 3, 3, 3, 6]);
    expect(sourceLayers(kvSourceCla(8, 2))).toHaveLength(4);
    expect(kvSourceCla(4, 1)).toEqual([0, 1, 2, 3]);
  });
  it('shared tail: the last t layers read the last non-shared layer of their type', () => {
    expect(kvSourceSharedTail(6, 2)).toEqual([0, 1, 2, 3, 3, 3]);
    const types = ['s', 's', 'f', 's', 's', 'f', 's', 'f'];
    expect(kvSourceSharedTail(8, 3, types)).toEqual([0, 1, 2, 3, 4, 2, 4, 2]);
    expect(() => kvSourceSharedTail(4, 2, ['s', 's', 'f', 'x'])).toThrow(/no earlier/);
    expect(() => kvSourceSharedTail(4, 4)).toThrow(InvalidSharingConfigError);
  });
  it('YOCO: windowed self-decoder, one global K/V for the cross-decoder', () => {
    const y = yocoConfig(6, 16);
    expect(y.kvSource).toEqual([0, 1, 2, 3, 3, 3]);
    expect(y.slidingWindow).toEqual([16, 16, 16, null, null, null]);
    expect(y.crossStart).toBe(3);
    expect(() => yocoConfig(5, 16)).toThrow(InvalidSharingConfigError);
  });
  it('training-free: layer l reads what l - 1 reads, chained', () => {
    expect(kvSourceTrainingFree(6, [2, 3, 5])).toEqual([0, 1, 1, 1, 4, 4]);
    expect(() => kvSourceTrainingFree(6, [0])).toThrow(InvalidSharingConfigError);
  });
  it('validation: a layer reads itself or an earlier source', () => {
    expect(validateKvSource([0, 0, 2])).toEqual([0, 0, 2]);
    expect(() => validateKvSource([0, 2, 2])).toThrow(/earlier/);
    expect(() => validateKvSource([0, 0, 1])).toThrow(/own source/);
    expect(() => validateKvSource([1])).toThrow(InvalidSharingConfigError);
    expect(() => validateKvSource([])).toThrow(InvalidSharingConfigError);
    expect(sourceLayers([0, 0, 2, 2, 4])).toEqual([0, 2, 4]);
  });
  it('MHA / GQA / MQA head counts', () => {
    expect(numKvHeads(32, { kind: 'mha' })).toBe(32);
    expect(numKvHeads(32, { kind: 'gqa', groupSize: 4 })).toBe(8);
    expect(numKvHeads(32, { kind: 'mqa' })).toBe(1);
    expect(() => numKvHeads(12, { kind: 'gqa', groupSize: 5 })).toThrow(InvalidSharingConfigError);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
