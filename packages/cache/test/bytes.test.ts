import { describe, expect, it } from 'vitest';
import { bytesPerToken, bytesPerValue, cacheBytes, headTokenBytes, kiviBytes, kiviHeadBytes } from '../src/bytes.js';
import { kvSourceIdentity, kvSourceMlkv, yocoConfig } from '../src/sharing/index.js';

describe('bytes per value (spec §13)', () => {
  it('floats', () => {
    expect(bytesPerValue('f32', 64)).toBe(4);
    expect(bytesPerValue('f16', 64)).toBe(2);
    expect(bytesPerValue('bf16', 64)).toBe(2);
  });
  it('int8 blocks of 32 with an f16 scale: 34/32, the whole head when d < 32', () => {
    expect(bytesPerValue('int8', 64)).toBe(34 / 32);
    expect(bytesPerValue('int8', 128, 'key')).toBe(34 / 32);
    expect(bytesPerValue('int8', 16)).toBe(18 / 16); // (d + 2) / d
    expect(bytesPerValue('int8', 8)).toBe(10 / 8);
    expect(headTokenBytes('int8', 48, 'value')).toBe(48 + 2 * 2); // a short last block has its own scale
  });
  it('KIVI b bits: (b G + 32) / (8 G); values with d < G group the whole head', () => {
    expect(bytesPerValue('kivi2', 64)).toBe((2 * 32 + 32) / (8 * 32)); // 0.375: "about 3 bits"
    expect(bytesPerValue('kivi4', 64)).toBe((4 * 32 + 32) / (8 * 32));
    expect(bytesPerValue('kivi2', 16, 'value')).toBe((2 * 16 + 32) / (8 * 16));
    expect(bytesPerValue('kivi2', 16, 'key')).toBe(0.375); // keys group along tokens
    expect(bytesPerValue('kivi2', 64, 'value', { group: 64, residual: 128 })).toBe((2 * 64 + 32) / (8 * 64));
    expect(() => bytesPerValue('kivi2', 64, 'value', { group: 32, residual: 48 })).toThrow(/multiple/);
  });
});

describe('bytes per token', () => {
  it('sums 2 Hkv d bytesPerValue over the source layers', () => {
    const base = { headDim: 64, kvDtype: 'f16' as const };
    expect(bytesPerToken({ ...base, kvSource: kvSourceIdentity(4), nKvHeads: 8 })).toBe(4 * 2 * 8 * 64 * 2);
    // GQA uses Hkv/H of the MHA bytes
    const mha = bytesPerToken({ ...base, kvSource: kvSourceIdentity(4), nKvHeads: 32 });
    expect(bytesPerToken({ ...base, kvSource: kvSourceIdentity(4), nKvHeads: 8 }) / mha).toBe(8 / 32);
    // MLKV-2 of 12 layers: 2 source layers
    expect(bytesPerToken({ ...base, kvSource: kvSourceMlkv(12, 2), nKvHeads: 1 })).toBe(2 * 2 * 64 * 2);
    expect(bytesPerToken({ headDim: 64, kvDtype: 'int8', kvSource: [0, 1], nKvHeads: 2 })).toBe(2 * 2 * 2 * 68);
  });
});

describe('KIVI with its full-precision residual (exact, as the reference stores it)', () => {
  const d = 64;
  it('worked example: 300 tokens, 2 bits, G = 32, R = 128', () => {
    // keys: 300 % 128 = 44 at f16, 256 quantized; values: newest 128 at f16, 172 quantized
    const keys = 256 * d * 0.375 + 44 * d * 2; // 6144 + 5632
    const values = 172 * d * 0.375 + 128 * d * 2; // 4128 + 16384
    expect(kiviHeadBytes(300, d, 2)).toBe(keys + values);
    expect(kiviHeadBytes(300, d, 2)).toBe(32288);
    expect(kiviBytes(300, { kvSource: [0, 0, 2], nKvHeads: 4, headDim: d, bits: 2 })).toBe(2 * 4 * 32288);
  });
  it('everything at f16 under R tokens; keys flush a block at R', () => {
    expect(kiviHeadBytes(100, d, 4)).toBe(2 * 100 * d * 2);
    const at128 = kiviHeadBytes(128, d, 4);
    expect(at128).toBe(128 * d * 0.625 + 128 * d * 2);
    expect(kiviHeadBytes(0, d, 2)).toBe(0);
  });
  it('cacheBytes follows kvSource, windows and KIVI', () => {
    const layout = { kvSource: [0, 1], nKvHeads: 2, headDim: d, kvDtype: 'kivi2' as const };
    expect(cacheBytes(layout, 300)).toBe(2 * 2 * 32288);
    const y = yocoConfig(4, 16);
    const yoco = { kvSource: y.kvSource, slidingWindow: y.slidingWindow, nKvHeads: 1, headDim: d, kvDtype: 'f16' as const };
    // two self-decoder windows of 16 plus one global cache of every token
    expect(cacheBytes(yoco, 1000)).toBe((16 + 16 + 1000) * 2 * d * 2);
    expect(cacheBytes(yoco, 10)).toBe(3 * 10 * 2 * d * 2);
  });
});
