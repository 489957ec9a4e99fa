import type { Backend } from '@kvkit/tensor';
import { availableThreads, CpuBackend, createWasmCpuBackend, InvalidArgumentError, KvkitError } from '@kvkit/tensor';

/**
 * Which backend runs the model: 'auto' (WebGPU on a real GPU, else WASM with threads), the scalar
 * TypeScript reference ('cpu'), WASM SIMD ('wasm'), WebGPU ('webgpu'), or a backend you created.
 */
export type BackendChoice = 'auto' | 'cpu' | 'wasm' | 'webgpu' | Backend;

/** What was chosen, and why: for `--verbose`, JSON output and a demo's status line. */
export interface BackendInfo {
  readonly kind: 'cpu' | 'wasm' | 'webgpu' | 'custom';
  /** The backend's own name (`cpu-reference`, `cpu-wasm`, `webgpu`, ...). */
  readonly name: string;
  /** Threads the backend computes with (1 for GPU dispatch and the reference). */
  readonly threads: number;
  /** The GPU adapter, for WebGPU. */
  readonly adapter?: string;
  /** Why 'auto' chose it (absent for an explicit choice). */
  readonly reason?: string;
}

/** The part of `@kvkit/webgpu` the runtime uses; pass the module itself (`import * as webgpu from '@kvkit/webgpu'`). */
export interface WebGPUModule {
  createWebGPUBackend(opts?: { adapter?: unknown; gpu?: unknown }): Promise<Backend>;
}

export interface BackendOptions {
  /** Threads for the WASM backend (default: every available core; 1 in a page that is not cross-origin isolated). */
  readonly threads?: number;
  /**
   * `@kvkit/webgpu`, for pages that bundle it. Default: imported at run time when installed (Node,
   * or a page with an import map); a bundled page that wants WebGPU passes it.
   */
  readonly webgpu?: WebGPUModule;
}

/** The requested backend cannot be created here (not installed, no adapter, no threads). */
export class BackendUnavailableError extends KvkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BACKEND_UNAVAILABLE', message, options);
  }
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** import() that bundlers leave alone: optional packages that may not be installed. */
const optionalImport = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

interface GpuAdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  readonly isFallbackAdapter?: boolean;
}

/** Software rasterisers that expose WebGPU: correct, but slower than the WASM backend. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software|basic render/i;

function adapterName(a: GpuAdapterLike): string {
  const i = a.info ?? {};
  return i.description || [i.vendor, i.architecture, i.device].filter(Boolean).join(' ') || 'unknown adapter';
}

function isSoftware(a: GpuAdapterLike): boolean {
  const i = a.info ?? {};
  return !!(i.isFallbackAdapter ?? a.isFallbackAdapter) || SOFTWARE_ADAPTER.test([i.vendor, i.architecture, i.device, i.description].join(' '));
}

/** The GPU entry point here: navigator.gpu in browsers, Dawn (`webgpu` on npm) through @kvkit/webgpu/node in Node. */
async function findGpu(): Promise<{ gpu: { requestAdapter(): Promise<unknown> }; module?: WebGPUModule } | string> {
  if (isNode) {
    let mod: WebGPUModule & { nodeGpu(): Promise<{ requestAdapter(): Promise<unknown> }>; gpuDevicePresent?(): boolean };
    try {
      mod = (await optionalImport('@kvkit/webgpu/node')) as typeof mod;
    } catch {
      return "@kvkit/webgpu is not installed (npm i @kvkit/webgpu webgpu)";
    }
    if (mod.gpuDevicePresent?.() === false) return 'no GPU device on this machine (/dev/dri/renderD*, /dev/nvidia*)';
    try {
      return { gpu: await mod.nodeGpu(), module: mod };
    } catch (e) {
      return (e as Error).message;
    }
  }
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  if (!gpu) return 'this browser has no WebGPU (navigator.gpu)';
  return { gpu };
}

/** In a page: the module passed in, else @kvkit/webgpu where an import map resolves it. */
async function webgpuModule(opts: BackendOptions): Promise<WebGPUModule | undefined> {
  if (opts.webgpu) return opts.webgpu;
  try {
    return (await optionalImport('@kvkit/webgpu')) as WebGPUModule;
  } catch {
    return undefined;
  }
}

/** A real (hardware) WebGPU adapter and the module to use it, or why there is none. */
async function realGpu(opts: BackendOptions): Promise<{ adapter: GpuAdapterLike; module: WebGPUModule; gpu: unknown } | string> {
  const found = await findGpu();
  if (typeof found === 'string') return found;
  const module = found.module ?? (await webgpuModule(opts));
  if (!module) return 'a WebGPU adapter exists but @kvkit/webgpu is not available: pass { webgpu: await import("@kvkit/webgpu") }';
  const adapter = (await found.gpu.requestAdapter().catch(() => null)) as GpuAdapterLike | null;
  if (!adapter) return 'no WebGPU adapter';
  if (isSoftware(adapter)) return `the WebGPU adapter is a software renderer (${adapterName(adapter)})`;
  return { adapter, module, gpu: found.gpu };
}

/** Cores this process may compute on: Node's availableParallelism, a page's hardwareConcurrency. */
async function availableCores(): Promise<number> {
  if (isNode) {
    const node = (await optionalImport('@kvkit/tensor/node').catch(() => undefined)) as { availableThreads?: () => number } | undefined;
    if (node?.availableThreads) return node.availableThreads();
  }
  return availableThreads();
}

async function wasmBackend(threads: number | undefined, reason?: string): Promise<{ backend: Backend; info: BackendInfo }> {
  const want = threads ?? (await availableCores());
  const create = isNode ? (((await optionalImport('@kvkit/tensor/node').catch(() => undefined)) as { createWasmCpuBackend?: typeof createWasmCpuBackend } | undefined)?.createWasmCpuBackend ?? createWasmCpuBackend) : createWasmCpuBackend;
  const backend = await create({ threads: Math.max(1, Math.min(32, want)) });
  // A page that is not cross-origin isolated runs one thread: say why next to 'auto''s own reason.
  const single = (backend as { singleThreadReason?: string }).singleThreadReason;
  const why = [reason, single].filter(Boolean).join('; ');
  return { backend, info: { kind: 'wasm', name: backend.name, threads: (backend as { threads?: number }).threads ?? 1, ...(why ? { reason: why } : {}) } };
}

/** Create the backend a choice names. */
export async function openBackend(choice: BackendChoice = 'auto', opts: BackendOptions = {}): Promise<{ backend: Backend; info: BackendInfo }> {
  if (opts.threads !== undefined && !(Number.isSafeInteger(opts.threads) && opts.threads >= 1)) throw new InvalidArgumentError(`threads must be a positive integer, got ${opts.threads}`);
  if (typeof choice === 'object' && choice !== null) {
    return { backend: choice, info: { kind: 'custom', name: choice.name, threads: (choice as { threads?: number }).threads ?? 1 } };
  }
  switch (choice) {
    case 'cpu':
      return { backend: new CpuBackend(), info: { kind: 'cpu', name: 'cpu-reference', threads: 1 } };
    case 'wasm':
      return wasmBackend(opts.threads);
    case 'webgpu': {
      const found = await findGpu();
      if (typeof found === 'string') throw new BackendUnavailableError(`backend 'webgpu': ${found}`);
      const module = found.module ?? (await webgpuModule(opts));
      if (!module) throw new BackendUnavailableError("backend 'webgpu' needs @kvkit/webgpu: npm i @kvkit/webgpu (and pass { webgpu: await import('@kvkit/webgpu') } in a bundled page)");
      const backend = await module.createWebGPUBackend({ gpu: found.gpu });
      const info = (backend as { adapterInfo?: GpuAdapterLike['info'] }).adapterInfo;
      return { backend, info: { kind: 'webgpu', name: backend.name, threads: 1, adapter: adapterName(info ? { info } : {}) } };
    }
    case 'auto': {
      const gpu = await realGpu(opts);
      if (typeof gpu !== 'string') {
        const backend = await gpu.module.createWebGPUBackend({ adapter: gpu.adapter });
        return { backend, info: { kind: 'webgpu', name: backend.name, threads: 1, adapter: adapterName(gpu.adapter), reason: 'a hardware WebGPU adapter' } };
      }
      return wasmBackend(opts.threads, `no hardware GPU: ${gpu}`);
    }
    default:
      throw new InvalidArgumentError(`backend must be 'auto', 'cpu', 'wasm', 'webgpu' or a Backend, got ${String(choice)}`);
  }
}
