import { existsSync } from 'node:fs';
import type { Backend } from '@kvkit/tensor';
import { CpuBackend } from '@kvkit/tensor';
import { oneOf } from './args.js';

export const BACKENDS = ['cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * The backend a command runs on. WebGPU in Node goes through Dawn (`webgpu` on npm); with no GPU,
 * Debian's chromium ships a software Vulkan driver (SwiftShader) that Dawn can use.
 */
export async function openBackend(name: string | undefined): Promise<Backend> {
  const which = oneOf(name, 'backend', BACKENDS, 'cpu');
  if (which === 'cpu') return new CpuBackend();
  const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (!process.env.VK_ICD_FILENAMES && existsSync(swiftshader)) process.env.VK_ICD_FILENAMES = swiftshader;
  const { createNodeWebGPUBackend } = await import('@kvkit/webgpu/node');
  return createNodeWebGPUBackend();
}
