// Two LoadedModels equal in config, format, every tensor byte and tokenizer ids.
import { expect } from 'vitest';
import type { HostTensor } from '@kvkit/tensor';
import type { LoadedModel } from '../src/index.js';
import { firstDiff } from './shared.js';

function tensors(m: LoadedModel): [string, HostTensor][] {
  const w = m.weights;
  const out: [string, HostTensor][] = [['tokenEmbedding', w.tokenEmbedding], ['finalNorm', w.finalNorm], ['output', w.output]];
  w.layers.forEach((layer, l) => {
    for (const [k, t] of Object.entries(layer)) if (t) out.push([`${l}.${k}`, t as HostTensor]);
  });
  return out;
}

export const SAMPLE_TEXT = 'Once upon a time, a little cat saw the sun. The secret code is 42.';

export function expectSameModel(actual: LoadedModel, expected: LoadedModel): void {
  expect(actual.format).toBe(expected.format);
  expect(actual.config).toEqual(expected.config);
  const a = tensors(actual);
  const e = tensors(expected);
  expect(a.map(([n, t]) => [n, t.dtype, t.shape])).toEqual(e.map(([n, t]) => [n, t.dtype, t.shape]));
  a.forEach(([name, t], i) => expect(firstDiff(t.data, e[i]![1].data), name).toBe(-1));
  expect(actual.tokenizer === undefined).toBe(expected.tokenizer === undefined);
  if (actual.tokenizer) expect(actual.tokenizer.encode(SAMPLE_TEXT)).toEqual(expected.tokenizer!.encode(SAMPLE_TEXT));
  expect(actual.chatTemplate).toEqual(expected.chatTemplate);
}

/** Every tensor's data views one buffer (the file as read: no tensor was copied out of it). */
export function expectViewsOfOneBuffer(m: LoadedModel, skipNorms = true): void {
  const all = tensors(m).filter(([n]) => !skipNorms || !/Norm$/.test(n));
  const buffer = all[0]![1].data.buffer;
  for (const [name, t] of all) expect(t.data.buffer === buffer, `${name} is a view of the file`).toBe(true);
}
