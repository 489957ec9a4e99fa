// Snapshots on disk: saveSnapshot/loadSnapshot keep the bytes exactly (a restored session continues),
// and the folder store's put/get/list/delete report sizes and refuse what passes maxBytes with a
// typed quota error, as the browser stores do.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@kvkit/loaders/node';
import { CpuBackend } from '@kvkit/tensor';
import { createFileSnapshotStore, loadSnapshot, saveSnapshot } from '../src/node.js';
import { LlamaModel, Session, SnapshotQuotaError } from '../src/index.js';
import { storageFailure } from '../src/store/snapshot-store.js';
import { reference, STORIES } from './shared-model.js';
import { greedy } from './snapshot-roundtrip.js';

const dir = mkdtempSync(join(tmpdir(), 'kvkit-snapshots-'));
let model: LlamaModel;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  model = LlamaModel.load(new CpuBackend(), await loadModel(`${STORIES}stories260K.bin`));
});

describe('snapshot files in Node', () => {
  it('saveSnapshot + loadSnapshot: the restored session continues as the original', async () => {
    const prompt = [1, ...reference.generated_ids.slice(0, 29)];
    using a = new Session(model, { kvDtype: 'kivi4', kivi: { group: 8, residual: 16 }, policy: { policy: { kind: 'tova' }, budget: { budget: 20 } } });
    const head = await greedy(a, prompt, 10);
    const bytes = await a.snapshot();
    const path = join(dir, 'one.kvsnap');
    await saveSnapshot(path, bytes);
    expect(readdirSync(dir)).toEqual(['one.kvsnap']); // no temporary file left
    const back = await loadSnapshot(path);
    expect(back).toEqual(bytes);
    using b = Session.restore(model, back);
    const last = [head.at(-1)!];
    expect(await greedy(b, last, 10)).toEqual(await greedy(a, last, 10));
    await expect(loadSnapshot(join(dir, 'missing.kvsnap'))).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' });
  });

  it('a folder store: put/get/list/delete with sizes, maxBytes as a typed quota error', async () => {
    const store = await createFileSnapshotStore(join(dir, 'store'), { maxBytes: 1000 });
    const a = Uint8Array.from({ length: 600 }, (_, i) => i % 251);
    expect(await store.put('doc-a', a)).toMatchObject({ key: 'doc-a', size: 600 });
    expect(await store.get('doc-a')).toEqual(a);
    expect(await store.get('nothing')).toBeUndefined();
    const err = await store.put('doc-b', new Uint8Array(500)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotQuotaError);
    expect(err).toMatchObject({ code: 'SNAPSHOT_QUOTA', needed: 500, available: 400 });
    expect(await store.put('doc-a', new Uint8Array(900))).toMatchObject({ size: 900 }); // replacing counts the new size only
    expect((await store.list()).map((e) => [e.key, e.size])).toEqual([['doc-a', 900]]);
    expect(await store.usage()).toEqual({ bytes: 900, maxBytes: 1000 });
    expect(await store.delete('doc-a')).toBe(true);
    expect(await store.delete('doc-a')).toBe(false);
    expect(await store.list()).toEqual([]);
    await expect(store.put('../escape', a)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.put('ok', 'text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(createFileSnapshotStore(join(dir, 'x'), { maxBytes: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('platform quota failures become SnapshotQuotaError, other failures SnapshotStoreError', () => {
    const disk = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(storageFailure(disk, 'doc', 10)).toMatchObject({ code: 'SNAPSHOT_QUOTA', needed: 10, cause: disk });
    expect(storageFailure(new DOMException('the quota has been exceeded', 'QuotaExceededError'), 'doc', 10)).toBeInstanceOf(SnapshotQuotaError);
    expect(storageFailure(Object.assign(new Error('EACCES'), { code: 'EACCES' }), 'doc', 10)).toMatchObject({ code: 'SNAPSHOT_STORE' });
  });
});
