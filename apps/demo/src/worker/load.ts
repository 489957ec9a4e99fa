// Loading a model in the worker: the page's source message becomes a loader source, and the model's
// bytes are checked against what the backend can hold before the weights are uploaded.
import type { ModelSource } from '@kvkit/loaders';
import type { LanguageModel } from '@kvkit/runtime';
import { loadLanguageModel } from '@kvkit/runtime';
import type { BackendName, ModelSourceMessage } from '../protocol.js';
import { ModelTooLargeError } from './errors.js';

/**
 * The most model bytes a backend can take. WASM memory is 32-bit (4 GiB), and the weights share it
 * with the cache and the activations; WebGPU is held to the adapter's largest buffer times a few
 * buffers' worth, but also starts from host memory, so the same 4 GiB cap applies.
 */
const WASM_MEMORY_LIMIT = 4 * 1024 ** 3 - 256 * 1024 ** 2;

export function toModelSource(src: ModelSourceMessage): ModelSource {
  switch (src.kind) {
    case 'shipped':
      return { files: { ...src.files } };
    case 'url':
      return src.url;
    case 'files': {
      if (src.files.length === 1) return src.files[0]!;
      // A picked or dropped folder: names keep their folder so the loader can find the model in it.
      return { files: Object.fromEntries(src.files.map((f) => [f.webkitRelativePath || f.name, f])) };
    }
  }
}

function formatBytes(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(2)} GiB` : n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

export interface LoadRequest {
  readonly source: ModelSourceMessage;
  readonly backend: BackendName;
  /** A smaller cap than the backend's own (a device with little memory); undefined: the backend's. */
  readonly memoryLimit?: number;
  readonly signal: AbortSignal;
  readonly onProgress: (p: { file: string; loaded: number; total: number | undefined }) => void;
}

/** Loads the model, or throws a typed error; nothing of a failed load is kept. */
export async function loadModel(req: LoadRequest): Promise<LanguageModel> {
  const limit = req.memoryLimit ?? WASM_MEMORY_LIMIT;
  const tooLarge = (bytes: number) =>
    new ModelTooLargeError(`the model's files are ${formatBytes(bytes)} but this device can hold at most ${formatBytes(limit)} of weights (backend ${req.backend}): pick a smaller or quantised model (GGUF q8_0/q4_0)`);
  if (req.source.kind === 'files') {
    const bytes = req.source.files.reduce((s, f) => s + f.size, 0);
    if (bytes > limit) throw tooLarge(bytes);
  }
  // Downloads are stopped as soon as the announced sizes exceed the cap, before the bytes arrive.
  const ac = new AbortController();
  const abortAll = () => ac.abort();
  req.signal.addEventListener('abort', abortAll);
  const totals = new Map<string, number>();
  let overflow: ModelTooLargeError | undefined;
  const webgpu = req.backend === 'auto' || req.backend === 'webgpu' ? await import('@kvkit/webgpu') : undefined;
  try {
    return await loadLanguageModel(toModelSource(req.source), {
      backend: req.backend,
      ...(webgpu ? { webgpu } : {}),
      signal: ac.signal,
      onProgress: ({ file, loaded, total }) => {
        if (total !== undefined) totals.set(file, total);
        const sum = [...totals.values()].reduce((a, b) => a + b, 0);
        if (sum > limit && !overflow) {
          overflow = tooLarge(sum);
          ac.abort();
        }
        req.onProgress({ file, loaded, total });
      },
    });
  } catch (e) {
    throw overflow ?? e;
  } finally {
    req.signal.removeEventListener('abort', abortAll);
  }
}
