// llama.cpp through the optional npm package node-llama-cpp (prebuilt CPU binaries), timed like kvkit.
import type { TimedRun } from './timing.js';
import { rates } from './timing.js';

/** The few parts of node-llama-cpp's API the bench uses (the package is optional: typed here, imported at run time). */
interface NlcSequence {
  evaluate(tokens: number[], options?: { temperature?: number; yieldEogToken?: boolean }): AsyncGenerator<number, void, void | number | number[]>;
  clearHistory(): Promise<void>;
}
interface NlcContext {
  getSequence(): NlcSequence;
  readonly currentThreads: number;
  dispose(): Promise<void>;
}
interface NlcModel {
  createContext(options: { contextSize: number; batchSize?: number; threads?: number | { ideal?: number; min?: number }; sequences?: number }): Promise<NlcContext>;
  dispose(): Promise<void>;
}
interface NlcLlama {
  loadModel(options: { modelPath: string; gpuLayers?: number }): Promise<NlcModel>;
  readonly gpu: string | false;
  readonly buildType: string;
  readonly cpuMathCores: number;
  readonly llamaCppRelease?: { repo: string; release: string };
  dispose(): Promise<void>;
}
interface NlcModule {
  getLlama(options: Record<string, unknown>): Promise<NlcLlama>;
  LlamaLogLevel: Record<string, string>;
}

export type LlamaCppLoad = { ok: true; llama: NlcLlama; version: string; release: string } | { ok: false; reason: string };

let cached: Promise<LlamaCppLoad> | undefined;

/** node-llama-cpp with its prebuilt CPU binary, never building or downloading anything; the reason when it cannot load. */
export function loadLlamaCpp(): Promise<LlamaCppLoad> {
  cached ??= (async (): Promise<LlamaCppLoad> => {
    const name = 'node-llama-cpp';
    let mod: NlcModule;
    try {
      mod = (await import(name)) as NlcModule;
    } catch (e) {
      return { ok: false, reason: `node-llama-cpp is not installed (${(e as Error).message.split('\n')[0]})` };
    }
    try {
      const llama = await mod.getLlama({ gpu: false, build: 'never', maxThreads: 0, logLevel: mod.LlamaLogLevel.error ?? 'error', progressLogs: false, skipDownload: true });
      let version = 'unknown';
      try {
        // Its exports map hides package.json: walk up from the resolved entry point.
        const { readFileSync, existsSync } = await import('node:fs');
        const { dirname, join } = await import('node:path');
        const { fileURLToPath } = await import('node:url');
        let dir = dirname(fileURLToPath(import.meta.resolve(name)));
        for (let i = 0; i < 5 && version === 'unknown'; i++, dir = dirname(dir)) {
          const pj = join(dir, 'package.json');
          if (!existsSync(pj)) continue;
          const pkg = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string };
          if (pkg.name === name && pkg.version) version = pkg.version;
        }
      } catch {
        // the version is only reported
      }
      return { ok: true, llama, version, release: llama.llamaCppRelease?.release ?? 'unknown' };
    } catch (e) {
      return { ok: false, reason: `node-llama-cpp could not load its CPU binary: ${(e as Error).message.split('\n')[0]}` };
    }
  })();
  return cached;
}

/** One GGUF file loaded in llama.cpp, with one context per thread count. */
export class LlamaCppEngine {
  readonly #model: NlcModel;
  readonly #contexts = new Map<number, { context: NlcContext; sequence: NlcSequence }>();
  readonly #contextSize: number;

  private constructor(model: NlcModel, contextSize: number) {
    this.#model = model;
    this.#contextSize = contextSize;
  }

  static async load(llama: NlcLlama, path: string, contextSize: number): Promise<LlamaCppEngine> {
    return new LlamaCppEngine(await llama.loadModel({ modelPath: path, gpuLayers: 0 }), contextSize);
  }

  async #sequence(threads: number): Promise<{ context: NlcContext; sequence: NlcSequence }> {
    let c = this.#contexts.get(threads);
    if (!c) {
      const context = await this.#model.createContext({ contextSize: this.#contextSize, batchSize: 512, threads: { ideal: threads, min: threads }, sequences: 1 });
      c = { context, sequence: context.getSequence() };
      this.#contexts.set(threads, c);
    }
    return c;
  }

  /** Threads llama.cpp reports for the context of `threads`. */
  async threadsUsed(threads: number): Promise<number> {
    return (await this.#sequence(threads)).context.currentThreads;
  }

  /**
   * Greedy (temperature 0): `decode` tokens after `prompt` (BOS included by the caller: evaluate adds
   * none), on a cleared sequence. TTFT = time to the first yielded token; decode = the rest.
   */
  async run(prompt: readonly number[], decode: number, threads: number): Promise<TimedRun> {
    const { sequence } = await this.#sequence(threads);
    await sequence.clearHistory();
    const generated: number[] = [];
    const t0 = performance.now();
    let first = 0;
    for await (const token of sequence.evaluate([...prompt], { temperature: 0, yieldEogToken: true })) {
      if (generated.length === 0) first = performance.now();
      generated.push(token);
      if (generated.length >= decode) break;
    }
    const end = performance.now();
    const ttftMs = first - t0;
    const decodeMs = end - first;
    return { promptTokens: prompt.length, generated, prefillMs: ttftMs, ttftMs, decodeMs, ...rates(prompt.length, generated.length, ttftMs, decodeMs) };
  }

  async dispose(): Promise<void> {
    for (const c of this.#contexts.values()) await c.context.dispose();
    this.#contexts.clear();
    await this.#model.dispose();
  }
}
