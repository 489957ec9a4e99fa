import { existsSync } from 'node:fs';
import type { Backend } from '@kvkit/tensor';
import { CpuBackend } from '@kvkit/tensor';
import { createWasmCpuBackend } from '@kvkit/tensor/node';
import { oneOf } from './args.js';

export const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * The backend a command runs on: the scalar TypeScript reference (`cpu`), WASM SIMD with worker
 * threads (`wasm`), or WebGPU. WebGPU in Node goes through Dawn (`webgpu` on npm); with no GPU,
 * Debian's chromium ships a software Vulkan driver (SwiftShader) that Dawn can use.
 */
export async function openBackend(name: string | undefined, threads = 1): Promise<Backend> {
  const which = oneOf(name, 'backend', BACKENDS, 'cpu');
  if (which === 'cpu') return new CpuBackend();
  if (which === 'wasm') return createWasmCpuBackend({ threads });
  const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (!process.env.VK_ICD_FILENAMES && existsSync(swiftshader)) process.env.VK_ICD_FILENAMES = swiftshader;
  const { createNodeWebGPUBackend } = await import('@kvkit/webgpu/node');
  return createNodeWebGPUBackend();
}

/** The adapter a WebGPU backend runs on, for reports ("unknown adapter" when the browser hides it). */
export function webgpuAdapterName(backend: Backend): string {
  const info = (backend as { adapterInfo?: { vendor: string; architecture: string; device: string; description: string } }).adapterInfo;
  const name = info ? info.description || [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') : '';
  return name || 'unknown adapter';
}
