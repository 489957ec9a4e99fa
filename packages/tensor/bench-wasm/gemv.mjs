// GEMV throughput of the JS CpuBackend vs the WASM backend (1 and 2 threads), per weight dtype and shape.
// Run after building the package: node packages/tensor/bench-wasm/gemv.mjs [--quick] [--only=wasm]
import { CpuBackend, createWasmCpuBackend, encode } from '../dist/node.js';

const quick = process.argv.includes('--quick');
const onlyWasm = process.argv.includes('--only=wasm');
const dtypes = (process.argv.find((a) => a.startsWith('--dtypes='))?.slice(9) ?? 'f32,q8_0,q4_0').split(',');
const shapes = [
  [1024, 1024],
  [768, 2048],
  [2048, 768],
  [32000, 768],
];
const bytesPer = { f32: 4, q8_0: 34 / 32, q4_0: 18 / 32 };

function rand(n, seed) {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 4294967296 - 0.5) * 0.1;
  }
  return v;
}

async function time(be, out, x, w, minMs) {
  be.matmul(out, x, w); // warm-up
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) be.matmul(out, x, w);
    const dt = performance.now() - t0;
    if (dt >= minMs) return dt / reps;
    reps = Math.max(reps * 2, Math.ceil((reps * minMs * 1.2) / Math.max(dt, 0.01)));
  }
}

const backends = [];
if (!onlyWasm) backends.push(['js', new CpuBackend()]);
backends.push(['wasm-1t', await createWasmCpuBackend({ threads: 1 })]);
backends.push(['wasm-2t', await createWasmCpuBackend({ threads: 2 })]);

const rows = [];
for (const dtype of dtypes) {
  for (const [n, k] of shapes) {
    const wv = rand(n * k, n + k);
    const wBytes = encode(dtype, wv);
    const xv = rand(k, 7);
    const results = {};
    for (const [name, be] of backends) {
      const w = be.tensor(dtype, [n, k], wBytes);
      const x = be.tensor('f32', [1, k], xv);
      const out = be.tensor('f32', [1, n]);
      const ms = await time(be, out, x, w, name === 'js' ? (quick ? 100 : 300) : quick ? 150 : 600);
      results[name] = ms;
      const gflops = (2 * n * k) / ms / 1e6;
      const gbs = (n * k * bytesPer[dtype]) / ms / 1e6;
      rows.push({ dtype, shape: `${n}x${k}`, backend: name, ms: ms.toFixed(4), gflops: gflops.toFixed(2), gbs: gbs.toFixed(2) });
      w.dispose();
      x.dispose();
      out.dispose();
    }
  }
}
console.table(rows);
for (const [, be] of backends) be[Symbol.dispose]();
