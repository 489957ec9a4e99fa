// The package ships every model it names: each variant's three files are there, each URL in
// SHIPPED_MODELS points at its own variant's file, config.json describes the model as trained, and each
// model.safetensors has the sha256 and size that the README's table states (read from the README, so a
// retrained or corrupted file fails here until the table is updated).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KvkitError } from '@kvkit/tensor';
import { SHIPPED_MODELS, UnknownModelError, defaultModel, isShippedModelName, shippedModel } from '../src/index.js';
import { modelDir } from '../src/node.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const VARIANTS = ['mha', 'gqa', 'mqa', 'mlkv4', 'mlkv2', 'cla2', 'yoco'];
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];

/** The README's model table: variant -> its cells by column title. */
function readmeTable(): Map<string, Record<string, string>> {
  const rows = readFileSync(`${PACKAGE}README.md`, 'utf8').split('\n').filter((l) => l.startsWith('|'));
  const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());
  const header = rows.find((l) => l.includes('sha256'));
  expect(header, 'the README has a table with a sha256 column').toBeDefined();
  const titles = cells(header!);
  const out = new Map<string, Record<string, string>>();
  for (const line of rows.slice(rows.indexOf(header!) + 2)) {
    const row = Object.fromEntries(cells(line).map((c, i) => [titles[i]!, c]));
    const name = /^`(\w+)`$/.exec(row[titles[0]!] ?? '')?.[1];
    if (name) out.set(name, row);
  }
  return out;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('@kvkit/models', () => {
  it('names the seven variants, each under its own name, gqa the default', () => {
    expect(Object.keys(SHIPPED_MODELS)).toEqual(VARIANTS);
    for (const [key, m] of Object.entries(SHIPPED_MODELS)) {
      expect(m.name).toBe(key);
      expect(Object.keys(m.files).sort()).toEqual(FILES);
      expect(m.description.length).toBeGreaterThan(20);
      expect(m.kvSharing).toMatch(/KV head/);
    }
    expect(defaultModel).toBe(SHIPPED_MODELS.gqa);
  });

  it('every files URL is a file: URL of that variant\'s own file, and the file is there', () => {
    for (const m of Object.values(SHIPPED_MODELS)) {
      for (const [file, url] of Object.entries(m.files)) {
        expect(url.protocol).toBe('file:');
        expect(fileURLToPath(url)).toBe(`${PACKAGE}${m.name}/${file}`);
        expect(statSync(url).size, `${m.name}/${file}`).toBeGreaterThan(0);
      }
    }
  });

  it.each(VARIANTS)('%s: config.json is the trained Llama with f16 weights; model.safetensors matches the README', (name) => {
    const config = JSON.parse(readFileSync(`${PACKAGE}${name}/config.json`, 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: 'llama', hidden_size: 128, num_hidden_layers: 8, num_attention_heads: 4, vocab_size: 1024, torch_dtype: 'float16' });
    expect(JSON.parse(readFileSync(`${PACKAGE}${name}/tokenizer.json`, 'utf8')).model.type).toBe('BPE');

    const weights = `${PACKAGE}${name}/model.safetensors`;
    const bytes = readFileSync(weights);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype?: string }>;
    expect(header.__metadata__).toMatchObject({ kvkit_variant: name });
    const dtypes = new Set(Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, t]) => t.dtype));
    expect([...dtypes]).toEqual(['F16']);

    const row = readmeTable().get(name);
    expect(row, `README table row for ${name}`).toBeDefined();
    const hash = /`([0-9a-f]{64})`/.exec(row!['`model.safetensors` sha256'] ?? '')?.[1];
    expect(hash, `a full sha256 in the README row of ${name}`).toBeDefined();
    expect(sha256(weights)).toBe(hash);
    expect(bytes.length.toLocaleString('en-US')).toBe(row!['file bytes']);
  });

  it('the README table lists exactly the shipped variants', () => {
    expect([...readmeTable().keys()]).toEqual(VARIANTS);
  });

  it('package.json ships every variant folder, and exports each model alone as @kvkit/models/<name>', async () => {
    const pkg = JSON.parse(readFileSync(`${PACKAGE}package.json`, 'utf8')) as { files: string[]; exports: Record<string, { import?: string }> };
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', ...VARIANTS]));
    for (const name of VARIANTS) {
      expect(pkg.exports[`./${name}`]?.import).toBe(`./dist/models/${name}.js`);
      const mod = (await import(`../src/models/${name}.ts`)) as Record<string, unknown>;
      expect(Object.keys(mod)).toEqual([name]);
      expect(mod[name]).toBe(SHIPPED_MODELS[name as keyof typeof SHIPPED_MODELS]);
    }
  });

  it('shippedModel and modelDir find a model by name; any other name is UnknownModelError', () => {
    expect(shippedModel('mqa')).toBe(SHIPPED_MODELS.mqa);
    expect(isShippedModelName('yoco')).toBe(true);
    expect(isShippedModelName('toString')).toBe(false);
    for (const name of VARIANTS) {
      expect(modelDir(name)).toBe(`${PACKAGE}${name}`);
      expect(existsSync(`${modelDir(name)}/config.json`)).toBe(true);
    }
    for (const bad of ['GQA', 'llama', '', 'constructor']) {
      expect(() => modelDir(bad)).toThrow(UnknownModelError);
    }
    try {
      shippedModel('gqa2');
      expect.fail('shippedModel accepted gqa2');
    } catch (e) {
      expect(e).toBeInstanceOf(KvkitError);
      expect((e as KvkitError).code).toBe('UNKNOWN_MODEL');
      expect((e as Error).message).toBe('no shipped model named "gqa2"; use one of mha, gqa, mqa, mlkv4, mlkv2, cla2, yoco');
    }
  });
});
