// Getting a GPUDevice: passed in, or requested from an adapter (passed in, or from `gpu`, or from
// `navigator.gpu` in browsers) with the adapter's own limits for buffer sizes and bindings.
import { NoAdapterError } from './errors.js';

export interface WebGPUBackendOptions {
  /** Use this device (the backend then never destroys it). */
  readonly device?: GPUDevice;
  /** Request the device from this adapter. */
  readonly adapter?: GPUAdapter;
  /** Where to request an adapter: default `navigator.gpu`; in Node, `nodeGpu()` from `@kvkit/webgpu/node`. */
  readonly gpu?: GPU;
  readonly powerPreference?: GPUPowerPreference;
  /**
   * Largest buffer the backend allocates; weights above it are split by rows. Default: the device's
   * maxStorageBufferBindingSize and maxBufferSize. Lower it to exercise splitting.
   */
  readonly maxBufferBytes?: number;
}

export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** Whether the backend created the device (and destroys it on dispose). */
  readonly owned: boolean;
  readonly adapterInfo: { readonly vendor: string; readonly architecture: string; readonly device: string; readonly description: string } | undefined;
}

/** Features used when the adapter has them (recorded in `backend.features`). */
const OPTIONAL_FEATURES = ['shader-f16', 'subgroups'] as const;

/** Limits raised to the adapter's: large weights, many bindings. */
const RAISED_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize'] as const;

export function defaultGpu(): GPU | undefined {
  return (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
}

export async function acquireDevice(opts: WebGPUBackendOptions): Promise<AcquiredDevice> {
  if (opts.device) return { device: opts.device, owned: false, adapterInfo: undefined };
  let adapter = opts.adapter ?? null;
  if (!adapter) {
    const gpu = opts.gpu ?? defaultGpu();
    if (!gpu) throw new NoAdapterError('WebGPU is not available here (no navigator.gpu); in Node pass { gpu: nodeGpu() } from @kvkit/webgpu/node');
    adapter = await gpu.requestAdapter(opts.powerPreference ? { powerPreference: opts.powerPreference } : {});
    if (!adapter) throw new NoAdapterError('no WebGPU adapter (no GPU driver, or WebGPU disabled)');
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ label: 'kvkit', requiredFeatures, requiredLimits });
  const info = adapter.info;
  return {
    device,
    owned: true,
    adapterInfo: info ? { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description } : undefined,
  };
}
