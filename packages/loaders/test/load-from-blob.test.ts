import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LoadProgress } from '../src/index.js';
import { LoadAbortedError, MalformedFileError, ModelNotFoundError, loadModelFrom, readSafetensors } from '../src/index.js';
import { loadModel } from '../src/node/index.js';
import { GQA_DIR } from './http-server.js';
import { expectSameModel, expectViewsOfOneBuffer } from './same-model.js';
import { STORIES_DIR, shared } from './shared.js';

const gqa = (name: string): Uint8Array => new Uint8Array(readFileSync(GQA_DIR + name));

/** The same safetensors file with its header padded so the data section starts at an odd offset. */
function misaligned(bytes: Uint8Array): Uint8Array {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + len)).trimEnd();
  const padded = new TextEncoder().encode(header + ' '.repeat((11 - ((8 + header.length) % 8)) % 8));
  const out = new Uint8Array(8 + padded.length + bytes.length - 8 - len);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded.length), true);
  out.set(padded, 8);
  out.set(bytes.subarray(8 + len), 8 + padded.length);
  expect((8 + padded.length) % 8).toBe(3);
  return out;
}

describe('loadModelFrom(File | Blob | bytes)', () => {
  it('loads a GGUF File by its magic, reporting progress under the file name', async () => {
    const events: LoadProgress[] = [];
    const file = new File([shared('stories260K.gguf')], 'model-download', { type: 'application/octet-stream' });
    const m = await loadModelFrom(file, { onProgress: (p) => events.push(p) });
    expectSameModel(m, await loadModel(`${STORIES_DIR}stories260K.gguf`));
    expect(events.at(-1)).toEqual({ loaded: file.size, total: file.size, file: 'model-download' });
    expect(events.every((e, i) => i === 0 || e.loaded >= events[i - 1]!.loaded)).toBe(true);
  });

  it('loads a llama2.c Blob with the tokenizer given, and without one', async () => {
    const disk = await loadModel(`${STORIES_DIR}stories260K.bin`);
    expectSameModel(await loadModelFrom(new Blob([shared('stories260K.bin')]), { tokenizer: new Blob([shared('tok512.bin')]) }), disk);
    expect((await loadModelFrom(new Blob([shared('stories260K.bin')]))).tokenizer).toBeUndefined();
  });

  it('loads bytes given as ArrayBuffer or a typed-array view without copying them', async () => {
    const gguf = shared('stories260K.gguf');
    const disk = await loadModel(`${STORIES_DIR}stories260K.gguf`);
    const own = gguf.slice().buffer;
    const m = await loadModelFrom(own);
    expectSameModel(m, disk);
    expect(m.weights.tokenEmbedding.data.buffer).toBe(own);
    expectSameModel(await loadModelFrom(new DataView(own)), disk);
  });

  it('rejects a Blob that is no model, naming the formats it takes', async () => {
    const e = await loadModelFrom(new File([new TextEncoder().encode('<html>not a model</html>'.repeat(10))], 'index.html')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MalformedFileError);
    expect((e as Error).message).toMatch(/^index\.html: not a GGUF file/);
    expect((e as Error).message).toMatch(/\.gguf.*llama2\.c.*config\.json/);
    // A safetensors file alone lacks its config: say what to pass.
    const st = await loadModelFrom(new File([gqa('model.safetensors')], 'model.safetensors')).catch((x: unknown) => x);
    expect(st).toBeInstanceOf(ModelNotFoundError);
    expect((st as Error).message).toMatch(/config\.json/);
  });

  it('stops reading a Blob when the signal aborts', async () => {
    const ctrl = new AbortController();
    const blob = new Blob([shared('stories260K.gguf')]);
    const e = await loadModelFrom(blob, { signal: ctrl.signal, onProgress: (p) => p.loaded > 0 && ctrl.abort() }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LoadAbortedError);
  });
});

describe('loadModelFrom({ files })', () => {
  it('finds an HF folder by its config.json (names may carry the folder), as from disk', async () => {
    const files = Object.fromEntries(['config.json', 'model.safetensors', 'tokenizer.json'].map((n) => [`gqa/${n}`, new File([gqa(n)], n)]));
    const m = await loadModelFrom({ files });
    expectSameModel(m, await loadModel(GQA_DIR));
    expectViewsOfOneBuffer(m);
  });

  it('views a safetensors file in place even when its data section is misaligned', async () => {
    const bytes = misaligned(gqa('model.safetensors'));
    // Parsed where it lies, the misaligned tensors must be copied...
    const direct = readSafetensors(bytes).tensors.get('model.embed_tokens.weight')!;
    expect(direct.data.buffer).not.toBe(bytes.buffer);
    // ...read by the loader, the file is placed so that they need not be.
    const m = await loadModelFrom({ files: { 'config.json': gqa('config.json'), 'weights.safetensors': new Blob([bytes]) } });
    expectViewsOfOneBuffer(m);
    expect(m.weights.tokenEmbedding.data.byteOffset % 4).toBe(0);
    const disk = await loadModel(GQA_DIR);
    expectSameModel({ ...m, tokenizer: disk.tokenizer! }, disk);
  });

  it('finds a .gguf, or a .bin with its tok512.bin', async () => {
    expectSameModel(await loadModelFrom({ files: { 'stories260K.gguf': new Blob([shared('stories260K.gguf')]) } }), await loadModel(`${STORIES_DIR}stories260K.gguf`));
    const bin = await loadModelFrom({ files: { 'tok512.bin': shared('tok512.bin'), 'stories260K.bin': new Blob([shared('stories260K.bin')]) } });
    expectSameModel(bin, await loadModel(`${STORIES_DIR}stories260K.bin`));
  });

  it('names what is missing or ambiguous', async () => {
    const noWeights = loadModelFrom({ files: { 'config.json': gqa('config.json'), 'tokenizer.json': gqa('tokenizer.json') } });
    await expect(noWeights).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(noWeights).rejects.toThrow(/no model\.safetensors/);
    await expect(loadModelFrom({ files: { 'a.gguf': shared('stories260K.gguf'), 'b.gguf': shared('stories260K.gguf') } })).rejects.toThrow(/several GGUF models/);
    await expect(loadModelFrom({ files: { 'readme.txt': new Uint8Array(4), 'notes.txt': new Uint8Array(4) } })).rejects.toBeInstanceOf(ModelNotFoundError);
  });
});
