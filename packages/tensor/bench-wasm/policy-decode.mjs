// Decode tok/s of one cache policy on the WASM backend after a long prompt (the per-step cost of
// eviction and of the attention statistics it needs), on a random-weight GGUF such as decode.mjs writes.
//   node packages/tensor/bench-wasm/policy-decode.mjs <model.gguf> [--context=1024] [--decode=24]
//        [--policy='{"policy":{"kind":"h2o"},"budget":{"budget":256}}'] [--threads=1]
import { createWasmCpuBackend } from '../dist/node.js';
import { loadModel } from '../../loaders/dist/node/index.js';
import { LlamaModel, Session } from '../../runtime/dist/index.js';

const arg = (name, def) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const context = Number(arg('context', '1024'));
const steps = Number(arg('decode', '24'));
const policy = arg('policy') ? JSON.parse(arg('policy')) : undefined;
const be = await createWasmCpuBackend({ threads: Number(arg('threads', '1')) });
const model = LlamaModel.load(be, await loadModel(process.argv[2]));
const s = new Session(model, { maxTokens: context + steps + 8, ...(policy ? { policy } : {}) });
let logits = await s.append([1, ...Array.from({ length: context - 1 }, (_, i) => 3 + ((i * 7919) % 31000))]);
const argmax = (l) => {
  let b = 0;
  for (let j = 1; j < l.length; j++) if (l[j] > l[b]) b = j;
  return b;
};
const t0 = performance.now();
for (let i = 0; i < steps; i++) logits = await s.append([argmax(logits)]);
console.log(`${policy ? JSON.stringify(policy) : 'full cache'}: ${((steps / (performance.now() - t0)) * 1000).toFixed(1)} tok/s decode after ${context} tokens`);
s[Symbol.dispose]?.();
model.dispose();
be[Symbol.dispose]();
