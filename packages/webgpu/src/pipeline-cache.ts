// Two-level shader cache: a kernel's key -> its compute pipeline. Ops are synchronous, so the hot path
// (`get`) creates a missing pipeline at once and checks its compilation in the background (the
// result is awaited at the next sync point); `prepare` compiles ahead of time, asynchronously, with
// compiles in flight shared so two callers never compile the same shader. Errors are reported with
// WGSL line numbers as ShaderCompileError.
import { ShaderCompileError } from './errors.js';
import { ShaderStage } from './gpu-flags.js';
import type { KernelSpec } from './kernels/kernel.js';

export interface CompiledKernel {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export class PipelineCache {
  readonly #device: GPUDevice;
  readonly #ready = new Map<string, CompiledKernel>();
  readonly #inFlight = new Map<string, Promise<CompiledKernel>>();
  #checks: Promise<ShaderCompileError | undefined>[] = [];

  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** Number of compiled pipelines. */
  get size(): number {
    return this.#ready.size;
  }

  /** The pipeline of `spec`, created now if missing (its compilation is checked at `checkCompiles`). */
  get(spec: KernelSpec): CompiledKernel {
    const hit = this.#ready.get(spec.key);
    if (hit) return hit;
    const module = this.#device.createShaderModule({ label: spec.key, code: spec.code });
    this.#checks.push(compileError(spec, module));
    const layout = this.#layout(spec);
    const pipeline = this.#device.createComputePipeline({
      label: spec.key,
      layout: this.#device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    const compiled = { pipeline, layout };
    this.#ready.set(spec.key, compiled);
    return compiled;
  }

  /** Compile `spec` ahead of use (asynchronously); concurrent calls for one key share one compile. */
  prepare(spec: KernelSpec): Promise<CompiledKernel> {
    const hit = this.#ready.get(spec.key);
    if (hit) return Promise.resolve(hit);
    let pending = this.#inFlight.get(spec.key);
    if (!pending) {
      pending = (async () => {
        const module = this.#device.createShaderModule({ label: spec.key, code: spec.code });
        const error = await compileError(spec, module);
        if (error) throw error;
        const layout = this.#layout(spec);
        const pipeline = await this.#device.createComputePipelineAsync({
          label: spec.key,
          layout: this.#device.createPipelineLayout({ bindGroupLayouts: [layout] }),
          compute: { module, entryPoint: 'main' },
        });
        const compiled = { pipeline, layout };
        if (!this.#ready.has(spec.key)) this.#ready.set(spec.key, compiled);
        return this.#ready.get(spec.key)!;
      })().finally(() => this.#inFlight.delete(spec.key));
      this.#inFlight.set(spec.key, pending);
    }
    return pending;
  }

  /** Throw the first compile error of the pipelines created by `get` since the last call. */
  async checkCompiles(): Promise<void> {
    if (this.#checks.length === 0) return;
    const checks = this.#checks;
    this.#checks = [];
    const errors = (await Promise.all(checks)).filter((e) => e !== undefined);
    if (errors.length) throw errors[0];
  }

  #layout(spec: KernelSpec): GPUBindGroupLayout {
    return this.#device.createBindGroupLayout({
      label: spec.key,
      entries: spec.bindings.map((kind, binding) => ({
        binding,
        visibility: ShaderStage.COMPUTE,
        buffer: { type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage' },
      })),
    });
  }
}

/** The compile errors of a module, each with its WGSL line, column and source line; undefined when clean. */
async function compileError(spec: KernelSpec, module: GPUShaderModule): Promise<ShaderCompileError | undefined> {
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length === 0) return undefined;
  return new ShaderCompileError(spec.key, formatCompileErrors(spec, errors));
}

export function formatCompileErrors(spec: KernelSpec, messages: readonly GPUCompilationMessage[]): string {
  const lines = spec.code.split('\n');
  const parts = messages.map((m) => {
    const src = lines[m.lineNum - 1];
    return `  line ${m.lineNum}:${m.linePos}: ${m.message}${src === undefined ? '' : `\n    ${src.trim()}`}`;
  });
  return `WGSL kernel '${spec.key}' failed to compile:\n${parts.join('\n')}`;
}
