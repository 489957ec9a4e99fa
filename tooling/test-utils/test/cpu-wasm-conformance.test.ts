import { createWasmCpuBackend } from '@kvkit/tensor/node';
import { runBackendConformance } from '../src/index.js';

// The WebAssembly SIMD CPU backend, on the calling thread alone and with one worker thread. A tiny
// parallel threshold makes even the suite's small matmuls and attention calls split across threads.
runBackendConformance('cpu-wasm, 1 thread', () => createWasmCpuBackend({ threads: 1 }));
runBackendConformance('cpu-wasm, 2 threads', () => createWasmCpuBackend({ threads: 2, minParallelWork: 1 }));
