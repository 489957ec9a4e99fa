/// <reference types="@webgpu/types" preserve="true" />
// @kvkit/webgpu: the WebGPU backend of kvkit. Browser-safe: nothing here imports Node modules; in
// Node, get a GPU object from `@kvkit/webgpu/node`.
export { createWebGPUBackend, WebGPUBackend } from './webgpu-backend.js';
export type { WebGPUBackendCounters } from './webgpu-backend.js';
export type { WebGPUBackendOptions } from './device.js';
export { WebGPUTensor } from './webgpu-tensor.js';
export { DeviceLimitError, DeviceLostError, GpuError, NoAdapterError, ShaderCompileError } from './errors.js';
export { PipelineCache } from './pipeline-cache.js';
export type { KernelSpec, BindingKind } from './kernels/kernel.js';
export { benchKernels, BENCH_WEIGHT_DTYPES } from './bench/kernel-bench.js';
export type { BenchKernel, KernelBenchOptions, KernelBenchResult } from './bench/kernel-bench.js';
