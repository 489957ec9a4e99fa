import { existsSync } from 'node:fs';
import type { BackendInfo } from '@kvkit/runtime';
import { openBackend } from '@kvkit/runtime';
import type { Backend } from '@kvkit/tensor';
import type { Flags, FlagSpecs } from '../args/flags.js';
import { int, oneOf } from '../args/values.js';
import { UsageError } from '../errors.js';
import { importPeer } from '../peers.js';

export const BACKENDS = ['auto', 'cpu', 'wasm', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const backendFlags = {
  backend: {
    type: 'string',
    value: 'auto|cpu|wasm|webgpu',
    help: 'auto: WebGPU on a hardware GPU, else WASM SIMD on every core; cpu: the scalar reference; webgpu needs npm i @kvkit/webgpu webgpu',
    default: 'auto',
    group: 'Backend',
  },
  threads: { type: 'string', value: '<n>', help: 'threads of the WASM backend', default: 'every available core', group: 'Backend' },
} as const satisfies FlagSpecs;

export interface BackendRequest {
  readonly choice: BackendName;
  readonly threads?: number;
}

export function backendRequest(flags: Flags): BackendRequest {
  const choice = oneOf(flags, 'backend', BACKENDS) ?? 'auto';
  const threads = int(flags, 'threads', 1, 256);
  if (threads !== undefined && (choice === 'cpu' || choice === 'webgpu')) throw new UsageError(`--threads applies to --backend wasm or auto, not ${choice}`);
  return { choice, ...(threads !== undefined ? { threads } : {}) };
}

interface NodeWebGPU {
  createNodeWebGPUBackend(): Promise<Backend & { adapterInfo?: { vendor?: string; architecture?: string; device?: string; description?: string } }>;
}

/**
 * The backend a command runs on, and what was chosen (for `--verbose` and JSON). WebGPU in Node is
 * Dawn, through the optional peers @kvkit/webgpu and webgpu; without a GPU, Debian's chromium ships a
 * software Vulkan driver (SwiftShader) that Dawn can use.
 */
export async function openCliBackend(req: BackendRequest): Promise<{ backend: Backend; info: BackendInfo }> {
  const threads = req.threads !== undefined ? { threads: req.threads } : {};
  if (req.choice !== 'webgpu') return openBackend(req.choice, threads);
  const mod = await importPeer<NodeWebGPU>('@kvkit/webgpu/node', '--backend webgpu', '@kvkit/webgpu webgpu');
  const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (!process.env.VK_ICD_FILENAMES && existsSync(swiftshader)) process.env.VK_ICD_FILENAMES = swiftshader;
  const backend = await mod.createNodeWebGPUBackend();
  const a = backend.adapterInfo;
  const adapter = (a && (a.description || [a.vendor, a.architecture, a.device].filter(Boolean).join(' '))) || 'unknown adapter';
  return { backend, info: { kind: 'webgpu', name: backend.name, threads: 1, adapter } };
}

/** `wasm (cpu-wasm), 2 threads` and why auto chose it. */
export function describeBackend(info: BackendInfo): string {
  return `${info.kind} (${info.name}), ${info.threads} thread${info.threads === 1 ? '' : 's'}${info.adapter ? `, adapter ${info.adapter}` : ''}${info.reason ? `; ${info.reason}` : ''}`;
}
