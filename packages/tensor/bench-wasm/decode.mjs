// Decode tokens/s of random-weight Llama models (llama2.c's stories15M / stories110M shapes) through
// kvkit's CpuBackend (JS), the WASM backend (1 and 2 threads) and, when node-llama-cpp is installed in
// apps/bench, llama.cpp (CPU, 1 and 2 threads) on the same GGUF files, alternating engines run by run.
// Build first (pnpm -r build, or tsc in tensor/loaders/cache/runtime), then:
//   node packages/tensor/bench-wasm/decode.mjs [--shapes=15m,110m] [--weights=f32,q8_0] [--context=256]
//        [--decode=32] [--reps=3] [--engines=js,wasm1,wasm2,cpp1,cpp2] [--models=/tmp/kvkit-wasm-bench]
// Engines: js (CpuBackend), wasmN (N threads), wasmN-i16 (activationPrecision 'int16'), cppN (llama.cpp, N threads).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuBackend, createWasmCpuBackend, numel } from '../dist/node.js';
import { modelShapes, SentencePieceBpeTokenizer, writeLlamaGguf } from '../../loaders/dist/index.js';
import { loadModel } from '../../loaders/dist/node/index.js';
import { LlamaModel, Session } from '../../runtime/dist/index.js';

const arg = (name, def) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def;
const shapes = arg('shapes', '15m,110m').split(',');
const weights = arg('weights', 'f32,q8_0').split(',');
const context = Number(arg('context', '256'));
const decodeSteps = Number(arg('decode', '32'));
const reps = Number(arg('reps', '3'));
const engines = arg('engines', 'js,wasm1,wasm2,cpp1,cpp2').split(',');
const modelsDir = arg('models', '/tmp/kvkit-wasm-bench');

const SHAPES = {
  '15m': { dim: 288, nLayers: 6, nHeads: 6, hiddenDim: 768 },
  '110m': { dim: 768, nLayers: 12, nHeads: 12, hiddenDim: 2048 },
};

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function config(s) {
  return {
    architecture: 'llama', dim: s.dim, hiddenDim: s.hiddenDim, nLayers: s.nLayers, nHeads: s.nHeads, nKvHeads: s.nHeads,
    headDim: s.dim / s.nHeads, vocabSize: 32000, contextLength: 2048, normEps: 1e-5, ropeTheta: 10000, ropeLayout: 'adjacent',
    tiedEmbeddings: true, kvSource: Array.from({ length: s.nLayers }, (_, l) => l), bosId: 1, eosId: 2,
  };
}

/** The GGUF of a shape and weight type, written once (random uniform weights, std 0.02; norms 1). */
function ensureModel(shape, wtype) {
  const path = join(modelsDir, `wasm-bench-${shape}-${wtype}.gguf`);
  if (existsSync(path)) return path;
  mkdirSync(modelsDir, { recursive: true });
  const c = config(SHAPES[shape]);
  const rand = mulberry32(1234);
  const half = 0.02 * Math.sqrt(3);
  const sh = modelShapes(c);
  const host = (shape, fill) => {
    const v = new Float32Array(numel(shape));
    if (fill !== undefined) v.fill(fill);
    else for (let i = 0; i < v.length; i++) v[i] = (rand() * 2 - 1) * half;
    return { dtype: 'f32', shape, data: new Uint8Array(v.buffer) };
  };
  const tokenEmbedding = host(sh.tokenEmbedding);
  const layers = Array.from({ length: c.nLayers }, () => ({
    attnNorm: host(sh.attnNorm, 1), wq: host(sh.wq), wk: host(sh.wk), wv: host(sh.wv), wo: host(sh.wo),
    ffnNorm: host(sh.ffnNorm, 1), w1: host(sh.w1), w2: host(sh.w2), w3: host(sh.w3),
  }));
  const w = { tokenEmbedding, layers, finalNorm: host(sh.finalNorm, 1), output: tokenEmbedding };
  const pieces = ['<unk>', '<s>', '</s>'];
  for (let b = 0; b < 256; b++) pieces.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  for (let i = pieces.length; i < 32000; i++) pieces.push(` t${i}`);
  const scores = pieces.map((_, i) => (i < 259 ? 0 : -(i - 259)));
  const tok = new SentencePieceBpeTokenizer({ pieces, scores, bosId: 1, eosId: 2, unkId: 0 });
  writeFileSync(path, writeLlamaGguf(c, w, tok, { dtype: wtype, name: `wasm-bench-${shape}` }));
  return path;
}

function prompt(n) {
  const r = mulberry32(42 + n);
  return [1, ...Array.from({ length: n - 1 }, () => 3 + Math.floor(r() * 31990))];
}

const argmax = (l) => { let b = 0; for (let j = 1; j < l.length; j++) if (l[j] > l[b]) b = j; return b; };

async function kvkitRun(model, p) {
  const s = new Session(model, { maxTokens: context + decodeSteps + 8 });
  let logits = await s.append(p);
  const t0 = performance.now();
  for (let i = 0; i < decodeSteps; i++) logits = await s.append([argmax(logits)]);
  const ms = performance.now() - t0;
  s[Symbol.dispose]();
  return decodeSteps / (ms / 1000);
}

let nlc;
async function llamaCpp() {
  if (nlc !== undefined) return nlc;
  try {
    const req = createRequire(fileURLToPath(new URL('../../../apps/bench/package.json', import.meta.url)));
    const mod = await import(req.resolve('node-llama-cpp'));
    nlc = await mod.getLlama({ gpu: false, build: 'never', skipDownload: true, logLevel: 'error', progressLogs: false });
  } catch (e) {
    console.error(`llama.cpp unavailable: ${e.message.split('\n')[0]}`);
    nlc = null;
  }
  return nlc;
}

const rows = [];
const backends = {};
if (engines.includes('js')) backends.js = new CpuBackend();
for (const e of engines) {
  const m = /^wasm(\d+)(-i16)?$/.exec(e);
  if (m) backends[e] = await createWasmCpuBackend({ threads: Number(m[1]), ...(m[2] ? { activationPrecision: 'int16' } : {}) });
}
for (const shape of shapes) {
  for (const wtype of weights) {
    const path = ensureModel(shape, wtype);
    const loaded = await loadModel(path);
    const p = prompt(context);
    const runners = {};
    for (const [name, be] of Object.entries(backends)) {
      const model = LlamaModel.load(be, loaded);
      runners[name] = { run: () => kvkitRun(model, p), close: () => model.dispose() };
    }
    const cpp = engines.some((e) => e.startsWith('cpp')) ? await llamaCpp() : null;
    let cppModel;
    if (cpp) {
      cppModel = await cpp.loadModel({ modelPath: path, gpuLayers: 0 });
      for (const t of [1, 2]) {
        if (!engines.includes(`cpp${t}`)) continue;
        const ctx = await cppModel.createContext({ contextSize: context + decodeSteps + 64, batchSize: 512, threads: { ideal: t, min: t }, sequences: 1 });
        const seq = ctx.getSequence();
        runners[`cpp${t}`] = {
          run: async () => {
            await seq.clearHistory();
            let n = 0;
            let t0 = 0;
            for await (const _tok of seq.evaluate([...p], { temperature: 0 })) {
              if (n === 0) t0 = performance.now();
              if (++n > decodeSteps) break;
            }
            return decodeSteps / ((performance.now() - t0) / 1000);
          },
          close: () => ctx.dispose(),
        };
      }
    }
    const results = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
    for (let r = 0; r < reps; r++) for (const [name, x] of Object.entries(runners)) results[name].push(await x.run());
    for (const x of Object.values(runners)) await x.close();
    if (cppModel) await cppModel.dispose();
    const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const row = { shape, weights: wtype, context };
    for (const [name, v] of Object.entries(results)) row[name] = +med(v).toFixed(1);
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
console.table(rows);
for (const be of Object.values(backends)) be[Symbol.dispose]();
