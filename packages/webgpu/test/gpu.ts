// Whether this machine has a WebGPU adapter in Node (Dawn), and a visible reason when it has none.
import { describe, it } from 'vitest';
import { nodeGpu } from '../src/node.js';

export type Probe = { readonly gpu: GPU; readonly adapter: GPUAdapter; readonly reason?: undefined } | { readonly gpu?: undefined; readonly reason: string };

let probe: Promise<Probe> | undefined;

export function probeNodeGpu(): Promise<Probe> {
  probe ??= (async (): Promise<Probe> => {
    try {
      const gpu = await nodeGpu();
      const adapter = await gpu.requestAdapter();
      if (!adapter) return { reason: `Dawn found no WebGPU adapter (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? 'unset'}; install chromium and libvulkan1 for SwiftShader)` };
      return { gpu, adapter };
    } catch (e) {
      return { reason: `the webgpu package failed to load: ${String(e)}` };
    }
  })();
  return probe;
}

/** A skipped suite whose name and log line say why (never a silent skip). */
export function skipSuite(name: string, reason: string): void {
  console.warn(`[@kvkit/webgpu] SKIPPED ${name}: ${reason}`);
  describe.skip(`${name} (skipped: ${reason})`, () => {
    it('needs a WebGPU adapter', () => {});
  });
}
