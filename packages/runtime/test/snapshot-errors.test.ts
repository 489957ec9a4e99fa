// Bad snapshots: each failure is a typed KvkitError with a code, and a failed restore frees what it
// allocated (counted on a backend that tracks live tensors).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeContainer, encodeContainer, SNAPSHOT_VERSION } from '@kvkit/cache';
import { loadModel } from '@kvkit/loaders/node';
import type { Backend, Tensor } from '@kvkit/tensor';
import { CpuBackend, KvkitError } from '@kvkit/tensor';
import { LlamaModel, readSnapshotHeader, Session } from '../src/index.js';
import { reference, STORIES } from './shared-model.js';
import { greedy } from './snapshot-roundtrip.js';

/** A CPU backend that counts tensors not yet disposed. */
function countingBackend(): { backend: Backend; live: () => number } {
  const inner = new CpuBackend();
  let live = 0;
  const backend = new Proxy(inner, {
    get(target, key, receiver) {
      if (key !== 'tensor') return Reflect.get(target, key, receiver);
      return (...args: Parameters<Backend['tensor']>): Tensor => {
        const t = target.tensor(...args);
        live++;
        const dispose = t.dispose.bind(t);
        let done = false;
        Object.defineProperty(t, 'dispose', { value: () => (done ? undefined : ((done = true), live--, dispose())) });
        return t;
      };
    },
  });
  return { backend, live: () => live };
}

const counted = countingBackend();
let model: LlamaModel;
let other: LlamaModel;
let snapshot: Uint8Array;
const prompt = [1, ...reference.generated_ids.slice(0, 49)];

beforeAll(async () => {
  model = LlamaModel.load(counted.backend, await loadModel(`${STORIES}stories260K.bin`));
  other = LlamaModel.load(new CpuBackend(), await loadModel(fileURLToPath(new URL('../../models/mqa/', import.meta.url))));
  using s = new Session(model, { kvDtype: 'int8', policy: { policy: { kind: 'h2o' }, budget: { budget: 24 } } });
  await greedy(s, prompt, 10);
  snapshot = await s.snapshot({ meta: { title: 'ten tokens' } });
});
afterAll(() => {
  model.dispose();
  other.dispose();
});

function failsWith(bytes: Uint8Array, code: string, opts = {}): KvkitError {
  const before = counted.live();
  let err: unknown;
  try {
    Session.restore(model, bytes, opts).cache.dispose();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(KvkitError);
  expect((err as KvkitError).code).toBe(code);
  expect(counted.live()).toBe(before);
  return err as KvkitError;
}

const edited = (f: (b: Uint8Array, dv: DataView) => void) => {
  const b = snapshot.slice();
  f(b, new DataView(b.buffer));
  return b;
};

describe('bad snapshots', () => {
  it('the good one restores, and its header says what it holds', () => {
    const h = readSnapshotHeader(snapshot);
    expect(h).toMatchObject({ kind: 'kvkit-session', tokens: 59, meta: { title: 'ten tokens' }, model: { identity: model.identity } });
    expect(h.cache).toMatchObject({ kvDtype: 'int8', layout: 'paged' });
    const before = counted.live();
    const s = Session.restore(model, snapshot, { kvDtype: 'int8', layout: 'paged', policy: 'h2o' });
    expect(s.position).toBe(59);
    expect(counted.live()).toBeGreaterThan(before); // the pool and statistics tensors are counted
    s[Symbol.dispose]();
    expect(counted.live()).toBe(before);
  });

  it('truncated: anywhere after the magic', () => {
    for (const n of [8, 20, 31, 32, 100, snapshot.length - 1]) failsWith(snapshot.subarray(0, n), 'SNAPSHOT_TRUNCATED');
  });

  it('wrong magic, or not bytes at all', () => {
    failsWith(edited((b) => (b[0] = 0x50)), 'SNAPSHOT_BAD_MAGIC');
    failsWith(new TextEncoder().encode('{"kind":"kvkit-session"}'), 'SNAPSHOT_BAD_MAGIC');
    failsWith('KVKSNAP' as unknown as Uint8Array, 'SNAPSHOT_BAD_MAGIC');
  });

  it('a future format version', () => {
    const e = failsWith(edited((_, dv) => dv.setUint16(8, SNAPSHOT_VERSION + 1, true)), 'SNAPSHOT_VERSION');
    expect(e.message).toMatch(/version 2/);
  });

  it('checksum mismatch in the header and in the payload', () => {
    const headerLength = new DataView(snapshot.buffer).getUint32(12, true);
    failsWith(edited((b) => (b[40] = b[40]! ^ 1)), 'SNAPSHOT_CHECKSUM');
    failsWith(edited((b) => (b[32 + headerLength + 5] = b[32 + headerLength + 5]! ^ 0x80)), 'SNAPSHOT_CHECKSUM');
    failsWith(edited((b) => (b[b.length - 1] = b[b.length - 1]! ^ 1)), 'SNAPSHOT_CHECKSUM');
  });

  it("another model's snapshot", async () => {
    using s = new Session(other);
    await s.append([1, 5, 6]);
    const e = failsWith(await s.snapshot(), 'SNAPSHOT_MODEL_MISMATCH');
    expect(e.message).toContain(other.identity);
    expect(model.identity).not.toBe(other.identity);
  });

  it('another KV dtype, layout or policy than asked', () => {
    expect(failsWith(snapshot, 'SNAPSHOT_OPTIONS_MISMATCH', { kvDtype: 'f16' })).toMatchObject({ field: 'kvDtype' });
    expect(failsWith(snapshot, 'SNAPSHOT_OPTIONS_MISMATCH', { layout: 'contiguous' })).toMatchObject({ field: 'layout' });
    expect(failsWith(snapshot, 'SNAPSHOT_OPTIONS_MISMATCH', { policy: 'snapkv' })).toMatchObject({ field: 'policy' });
  });

  it('consistent checksums over an inconsistent header: malformed, and the half-built session is freed', () => {
    const { header, payload } = decodeContainer(snapshot);
    const cache = header.cache as { bytesUsed: number; lengths: number[][] };
    failsWith(encodeContainer({ ...header, cache: { ...cache, bytesUsed: cache.bytesUsed + 1 } }, payload), 'SNAPSHOT_MALFORMED');
    failsWith(encodeContainer({ ...header, cache: { ...cache, lengths: cache.lengths.slice(1) } }, payload), 'SNAPSHOT_MALFORMED');
    failsWith(encodeContainer({ ...header, tokens: 2 }, payload), 'SNAPSHOT_MALFORMED');
    failsWith(encodeContainer(header, payload.subarray(0, payload.length - 1)), 'SNAPSHOT_MALFORMED');
    const session = header.session as { policy: { policy: object; budget: object } };
    failsWith(encodeContainer({ ...header, session: { ...session, policy: { ...session.policy, policy: { kind: 'h2o', gqa: 'median' } } } }, payload), 'SNAPSHOT_MALFORMED');
    failsWith(encodeContainer({ ...header, session: { ...session, policy: { ...session.policy, budget: { budget: -3 } } } }, payload), 'SNAPSHOT_MALFORMED');
  });
});
