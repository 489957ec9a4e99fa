// Where a decode step's time goes, per backend op (and per matmul shape), on a random-weight GGUF.
//   node packages/tensor/bench-wasm/profile.mjs <model.gguf> [--threads=1] [--context=256] [--decode=32] [--js] [--int16] [--kernels=<json knobs>]
import { CpuBackend, createWasmCpuBackend } from '../dist/node.js';
import { loadModel } from '../../loaders/dist/node/index.js';
import { LlamaModel, Session } from '../../runtime/dist/index.js';

const arg = (name, def) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def;
const path = process.argv[2];
const threads = Number(arg('threads', '1'));
const context = Number(arg('context', '256'));
const steps = Number(arg('decode', '32'));
const inner = process.argv.includes('--js') ? new CpuBackend() : await createWasmCpuBackend({ threads, ...(process.argv.includes('--int16') ? { activationPrecision: 'int16' } : {}), ...(arg('kernels') ? { kernels: JSON.parse(arg('kernels')) } : {}) });
const times = new Map();
let on = false;
const be = new Proxy(inner, {
  get(t, prop) {
    const v = Reflect.get(t, prop, t);
    if (typeof v !== 'function' || prop === 'tensor' || prop === 'constructor') return typeof v === 'function' ? v.bind(t) : v;
    return (...a) => {
      if (!on) return v.apply(t, a);
      const key = prop === 'matmul' ? `matmul ${a[2].dtype} ${a[2].shape.join('x')}` : String(prop);
      const t0 = performance.now();
      const r = v.apply(t, a);
      const e = times.get(key) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls++;
      times.set(key, e);
      return r;
    };
  },
});
const loaded = await loadModel(path);
const model = LlamaModel.load(be, loaded);
const s = new Session(model, { maxTokens: context + steps + 8 });
const r = () => 3 + Math.floor(Math.random() * 31000);
let logits = await s.append([1, ...Array.from({ length: context - 1 }, r)]);
const argmax = (l) => { let b = 0; for (let j = 1; j < l.length; j++) if (l[j] > l[b]) b = j; return b; };
on = true;
const t0 = performance.now();
for (let i = 0; i < steps; i++) logits = await s.append([argmax(logits)]);
const total = performance.now() - t0;
on = false;
const rows = [...times].sort((a, b) => b[1].ms - a[1].ms).map(([op, e]) => ({ op, msPerToken: +(e.ms / steps).toFixed(3), share: `${((100 * e.ms) / total).toFixed(1)}%`, callsPerToken: e.calls / steps }));
const accounted = [...times.values()].reduce((a, e) => a + e.ms, 0);
rows.push({ op: '(outside backend ops)', msPerToken: +((total - accounted) / steps).toFixed(3), share: `${((100 * (total - accounted)) / total).toFixed(1)}%`, callsPerToken: 0 });
console.log(`${path}: ${(steps / (total / 1000)).toFixed(1)} tok/s, ${(total / steps).toFixed(2)} ms/token (threads ${threads}, context ${context})`);
console.table(rows);
s[Symbol.dispose]();
model.dispose();
inner[Symbol.dispose]();
