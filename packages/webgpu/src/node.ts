/// <reference types="@webgpu/types" preserve="true" />
// @kvkit/webgpu/node: WebGPU in Node through the `webgpu` package (Dawn). Kept out of the main entry
// so browser bundles never see a Node import.
import type { WebGPUBackendOptions } from './device.js';
import { NoAdapterError } from './errors.js';
import type { WebGPUBackend } from './webgpu-backend.js';
import { createWebGPUBackend } from './webgpu-backend.js';

import { readdirSync } from 'node:fs';

let cached: GPU | undefined;

/**
 * Whether this machine shows a GPU at all. Linux exposes every GPU as a device node
 * (/dev/dri/renderD*, /dev/nvidia*); without one there is no hardware adapter to find, and starting
 * Dawn only costs time and writes Vulkan diagnostics to stderr. Other systems: assumed present.
 */
export function gpuDevicePresent(): boolean {
  if (process.platform !== 'linux') return true;
  const has = (dir: string, prefix: string): boolean => {
    try {
      return readdirSync(dir).some((n) => n.startsWith(prefix));
    } catch {
      return false;
    }
  };
  return has('/dev/dri', 'renderD') || has('/dev', 'nvidia');
}

/**
 * The GPU object of Dawn's Node bindings (`webgpu` on npm, an optional peer dependency). `flags` are
 * Dawn toggles such as `enable-dawn-features=...`. Without a GPU, point the Vulkan loader at a
 * software driver, e.g. VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (Debian's chromium).
 */
export async function nodeGpu(flags: readonly string[] = []): Promise<GPU> {
  if (cached && flags.length === 0) return cached;
  let mod: { create(flags: string[]): GPU };
  try {
    mod = (await import('webgpu')) as unknown as { create(flags: string[]): GPU };
  } catch (e) {
    throw new NoAdapterError(`WebGPU in Node needs the 'webgpu' package (npm i webgpu): ${String(e)}`);
  }
  const gpu = mod.create([...flags]);
  if (flags.length === 0) cached = gpu;
  return gpu;
}

/** createWebGPUBackend on Dawn: `createNodeWebGPUBackend()` is `createWebGPUBackend({ gpu: await nodeGpu() })`. */
export async function createNodeWebGPUBackend(opts: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  const gpu = opts.gpu ?? (opts.device || opts.adapter ? undefined : await nodeGpu());
  return createWebGPUBackend(gpu ? { ...opts, gpu } : opts);
}

export * from './index.js';
