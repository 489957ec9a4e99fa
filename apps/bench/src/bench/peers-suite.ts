// Suite `peers`: the same GGUF files through llama.cpp (node-llama-cpp, CPU, 1 and 2 threads) and through
// kvkit (CPU backend, one thread), alternating in one process; ratios kvkit / llama.cpp; greedy agreement on stories260K.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadModel } from '@kvkit/loaders/node';
import { LlamaModel } from '@kvkit/runtime';
import type { Backend } from '@kvkit/tensor';
import { CpuBackend } from '@kvkit/tensor';
import { createWasmCpuBackend } from '@kvkit/tensor/node';
import { stories260k } from '../fixtures.js';
import { LlamaCppEngine, loadLlamaCpp } from './llama-cpp.js';
import { ensureRandomModels, SHAPES, WEIGHT_TYPES } from './models.js';
import type { WeightType } from './models.js';
import type { Check, Table } from './report.js';
import { benchEnv, median } from './report.js';
import type { Suite } from './suite.js';
import { intItem, listArg, oneOfItem, str } from './suite.js';
import { barChart } from './svg.js';
import type { TimedRun } from './timing.js';
import { agreement, kvkitTimedRun, randomPrompt } from './timing.js';

/** Greedy agreement with llama.cpp must hold at least this long (llama2.c's own test checks 200 steps). */
export const MIN_AGREEMENT_PREFIX = 200;

export interface PeerRow {
  readonly shape: string;
  readonly weights: WeightType;
  readonly context: number;
  readonly decodeTokens: number;
  readonly engine: string;
  readonly threads: number;
  readonly prefillTokensPerSecond: number;
  readonly ttftMs: number;
  readonly decodeTokensPerSecond: number;
  readonly runs: number;
}

export interface PeerRatio {
  readonly shape: string;
  readonly weights: WeightType;
  readonly context: number;
  readonly threads: number;
  /** kvkit / llama.cpp (`threads`) tokens per second (kvkit on 1 thread, or on `threads` with --kvkit-backend wasm). */
  readonly prefillRatio: number;
  readonly decodeRatio: number;
  /** Greedy tokens of kvkit and llama.cpp agreeing (random weights: near-ties make early divergence normal). */
  readonly tokenPrefix: number;
}

export const peersSuite: Suite = {
  name: 'peers',
  summary: "the same GGUF files through llama.cpp (node-llama-cpp) and kvkit's WASM backend",
  help: `kvkit bench peers [--shapes 15m,110m (or tiny)] [--weights f32,q8_0] [--contexts 256,1024 (quick: 128)] [--decode 64] [--threads 1,2]
               [--reps 3] [--agreement-tokens 256] [--stories <stories260K.gguf>] [--kvkit-backend wasm|wasm-int16|cpu]
               (cpu: the scalar reference on one thread against every llama.cpp thread count; wasm: equal threads)`,
  options: {
    shapes: { type: 'string' },
    weights: { type: 'string' },
    contexts: { type: 'string' },
    decode: { type: 'string' },
    threads: { type: 'string' },
    reps: { type: 'string' },
    'agreement-tokens': { type: 'string' },
    stories: { type: 'string' },
    'kvkit-backend': { type: 'string' },
  },
  async run(a, ctx) {
    const t0 = performance.now();
    const q = ctx.quick;
    const shapes = listArg(a.shapes, 'shapes', q ? ['15m'] : ['15m', '110m'], oneOfItem(Object.keys(SHAPES)));
    const weights = listArg(a.weights, 'weights', WEIGHT_TYPES, oneOfItem(WEIGHT_TYPES));
    const contexts = listArg(a.contexts, 'contexts', q ? [128] : [256, 1024], intItem(2));
    const decode = listArg(a.decode, 'decode', [q ? 16 : 64], intItem(2))[0]!;
    const threadCounts = listArg(a.threads, 'threads', [1, 2], intItem(1));
    const reps = listArg(a.reps, 'reps', [q ? 1 : 3], intItem(1))[0]!;
    const agreementTokens = listArg(a['agreement-tokens'], 'agreement-tokens', [256], intItem(1))[0]!;
    const storiesPath = str(a, 'stories') ?? stories260k();
    // wasm: kvkit's WASM SIMD backend at llama.cpp's thread counts; wasm-int16: the same with Q8_0/Q4_0 GEMVs on
    // int16 activations (still 256x finer than the 8-bit activations llama.cpp uses); cpu: the scalar reference, one thread.
    const kvkitBackend = listArg(a['kvkit-backend'], 'kvkit-backend', ['wasm'], oneOfItem(['cpu', 'wasm', 'wasm-int16'] as const))[0]!;
    const wasm = kvkitBackend !== 'cpu';
    const kvkitThreads = wasm ? threadCounts : [1];
    const kvkitThreadsFor = (t: number) => (wasm ? t : 1);
    const params = { shapes, weights, contexts, decode, threads: threadCounts, reps, agreementTokens, stories: storiesPath, kvkitBackend: wasm ? `${kvkitBackend} (equal threads)` : 'cpu (1 thread)' };

    const cpp = await loadLlamaCpp();
    if (!cpp.ok) {
      return {
        suite: 'peers',
        quick: q,
        env: benchEnv(),
        params,
        durationMs: performance.now() - t0,
        checks: [{ name: 'llama.cpp loads', ok: true, skipped: true, detail: `${cpp.reason}: peers not measured` }],
        tables: [],
        plots: [],
        data: { llamaCpp: null, reason: cpp.reason },
        notes: [`llama.cpp unavailable: ${cpp.reason}.`],
      };
    }

    const checks: Check[] = [];
    const tables: Table[] = [];

    // 1. Greedy agreement on stories260K from BOS.
    const progress = ctx.progress('bench peers', 1 + shapes.length * weights.length * contexts.length * reps);
    progress.update('stories260K greedy agreement');
    const stories = await loadModel(storiesPath);
    let agree: ReturnType<typeof agreement> & { kvkit: number[]; llamaCpp: number[]; reference?: { kvkit: number; llamaCpp: number } };
    {
      using backend = new CpuBackend();
      using model = LlamaModel.load(backend, stories);
      const prompt = [stories.config.bosId];
      const k = await kvkitTimedRun(model, prompt, agreementTokens);
      const engine = await LlamaCppEngine.load(cpp.llama, storiesPath, Math.min(stories.config.contextLength, agreementTokens + 8));
      const l = await engine.run(prompt, agreementTokens, 1);
      await engine.dispose();
      agree = { ...agreement(k.generated, l.generated), kvkit: k.generated, llamaCpp: l.generated };
      const refPath = join(dirname(storiesPath), 'reference_greedy.json');
      if (existsSync(refPath)) {
        const ref = (JSON.parse(readFileSync(refPath, 'utf8')) as { generated_ids: number[] }).generated_ids;
        agree.reference = { kvkit: agreement(k.generated, ref).prefix, llamaCpp: agreement(l.generated, ref).prefix };
      }
    }
    progress.tick();
    checks.push({
      name: 'greedy agreement kvkit vs llama.cpp (stories260K)',
      ok: agree.prefix >= Math.min(MIN_AGREEMENT_PREFIX, agree.of),
      detail: `${agree.same}/${agree.of} tokens agree, identical for the first ${agree.prefix} (needs ${Math.min(MIN_AGREEMENT_PREFIX, agree.of)})` + (agree.reference ? `; vs the llama2.c reference: kvkit ${agree.reference.kvkit}, llama.cpp ${agree.reference.llamaCpp} leading tokens` : ''),
    });
    tables.push({
      title: `Greedy agreement on stories260K, ${agreementTokens} tokens from BOS`,
      columns: ['pair', 'identical prefix', 'positions equal'],
      rows: [
        ['kvkit vs llama.cpp', agree.prefix, `${agree.same}/${agree.of}`],
        ...(agree.reference ? [['kvkit vs llama2.c reference', agree.reference.kvkit, ''], ['llama.cpp vs llama2.c reference', agree.reference.llamaCpp, '']] : []),
      ],
    });

    // 2. Speed on the random-weight GGUF files, engines alternating run by run.
    const rows: PeerRow[] = [];
    const ratios: PeerRatio[] = [];
    const threadsUsed: Record<string, number> = {};
    for (const s of shapes) {
      const shape = SHAPES[s]!;
      progress.update(`writing/reading ${s} GGUF in ${ctx.modelsDir}`);
      for (const file of ensureRandomModels(ctx.modelsDir, shape, weights)) {
        const loaded = await loadModel(file.path);
        const backends: Backend[] = [];
        const models = new Map<number, LlamaModel>();
        for (const t of kvkitThreads) {
          const backend = wasm ? await createWasmCpuBackend({ threads: t, ...(kvkitBackend === 'wasm-int16' ? { activationPrecision: 'int16' as const } : {}) }) : new CpuBackend();
          backends.push(backend);
          models.set(t, LlamaModel.load(backend, loaded));
        }
        const maxCtx = Math.max(...contexts) + decode + 8;
        const engine = await LlamaCppEngine.load(cpp.llama, file.path, maxCtx);
        try {
          for (const t of threadCounts) threadsUsed[String(t)] = await engine.threadsUsed(t);
          // Warm-up both engines (JIT, thread pools, first allocations).
          const warm = randomPrompt(32, shape.vocabSize, 1, 99);
          for (const m of models.values()) await kvkitTimedRun(m, warm, 4);
          for (const t of threadCounts) await engine.run(warm, 4, t);
          for (const n of contexts) {
            const prompt = randomPrompt(n, shape.vocabSize, 1, n);
            const runs = new Map<string, TimedRun[]>();
            const add = (key: string, r: TimedRun) => runs.set(key, [...(runs.get(key) ?? []), r]);
            for (let rep = 0; rep < reps; rep++) {
              progress.update(`${s} ${file.weightType} ctx ${n} rep ${rep + 1}/${reps}`);
              for (const [t, m] of models) add(`kvkit:${t}`, await kvkitTimedRun(m, prompt, decode));
              for (const t of threadCounts) add(`llama.cpp:${t}`, await engine.run(prompt, decode, t));
              progress.tick();
            }
            const row = (key: string): PeerRow => {
              const rs = runs.get(key)!;
              const [engineName, th] = key.split(':');
              return {
                shape: s,
                weights: file.weightType,
                context: n,
                decodeTokens: decode,
                engine: engineName!,
                threads: Number(th),
                prefillTokensPerSecond: median(rs.map((r) => r.prefillTokensPerSecond)),
                ttftMs: median(rs.map((r) => r.ttftMs)),
                decodeTokensPerSecond: median(rs.map((r) => r.decodeTokensPerSecond)),
                runs: rs.length,
              };
            };
            for (const t of kvkitThreads) rows.push(row(`kvkit:${t}`));
            for (const t of threadCounts) {
              const k = row(`kvkit:${kvkitThreadsFor(t)}`);
              const l = row(`llama.cpp:${t}`);
              rows.push(l);
              ratios.push({
                shape: s,
                weights: file.weightType,
                context: n,
                threads: t,
                prefillRatio: k.prefillTokensPerSecond / l.prefillTokensPerSecond,
                decodeRatio: k.decodeTokensPerSecond / l.decodeTokensPerSecond,
                tokenPrefix: agreement(runs.get(`kvkit:${kvkitThreadsFor(t)}`)![0]!.generated, runs.get(`llama.cpp:${t}`)![0]!.generated).prefix,
              });
            }
          }
        } finally {
          await engine.dispose();
          for (const m of models.values()) m.dispose();
          for (const b of backends) b[Symbol.dispose]();
        }
      }
    }
    progress.finish();

    tables.push({
      title: `kvkit (${params.kvkitBackend}) vs llama.cpp ${cpp.version} (CPU, ${threadCounts.join(' and ')} threads): tokens per second`,
      columns: ['shape', 'weights', 'context', 'engine', 'threads', 'prefill tok/s', 'TTFT ms', 'decode tok/s'],
      rows: rows.map((r) => [r.shape, r.weights, r.context, r.engine, r.threads, r.prefillTokensPerSecond, r.ttftMs, r.decodeTokensPerSecond]),
      note: `Medians of ${reps} run(s) per engine, alternating kvkit / llama.cpp run by run in one process. Prompt of \`context\` seeded random tokens (BOS first) in one chunk, then ${decode - 1} greedy decode steps.`,
    });
    tables.push({
      title: `Ratios kvkit / llama.cpp (> 1: kvkit faster; ${wasm ? 'kvkit at the same thread count' : 'kvkit runs one thread'})`,
      columns: ['shape', 'weights', 'context', 'llama.cpp threads', 'prefill ratio', 'decode ratio', 'same greedy tokens (prefix)'],
      rows: ratios.map((r) => [r.shape, r.weights, r.context, r.threads, r.prefillRatio, r.decodeRatio, `${r.tokenPrefix}/${decode}`]),
      note: 'Random weights give near-uniform logits, so greedy tokens of two correct engines can part early; the token check that matters is stories260K above.',
    });
    const cats = ratios.filter((r) => r.threads === threadCounts[0]).map((r) => `${r.shape} ${r.weights} @${r.context}`);
    const plot = (field: 'prefillRatio' | 'decodeRatio', what: string) =>
      barChart({
        title: `${what}: kvkit / llama.cpp tokens per second`,
        yLabel: 'ratio (log; 1 = parity)',
        yLog: true,
        hLines: [{ y: 1, label: 'parity' }],
        categories: cats,
        series: threadCounts.map((t) => ({ name: `llama.cpp ${t} thread${t > 1 ? 's' : ''}`, values: ratios.filter((r) => r.threads === t).map((r) => r[field]) })),
      });
    return {
      suite: 'peers',
      quick: q,
      env: benchEnv(),
      params,
      durationMs: performance.now() - t0,
      checks,
      tables,
      plots: ratios.length
        ? [
            { file: 'decode-ratio.svg', title: 'Decode: kvkit / llama.cpp', svg: plot('decodeRatio', 'Decode') },
            { file: 'prefill-ratio.svg', title: 'Prefill: kvkit / llama.cpp', svg: plot('prefillRatio', 'Prefill') },
          ]
        : [],
      data: { llamaCpp: { version: cpp.version, release: cpp.release, buildType: cpp.llama.buildType, threadsUsed }, agreement: { prefix: agree.prefix, same: agree.same, of: agree.of, reference: agree.reference ?? null }, rows, ratios },
      notes: [
        `llama.cpp: node-llama-cpp ${cpp.version} (llama.cpp ${cpp.release}, ${cpp.llama.buildType} binary, getLlama({gpu: false})), threads pinned per context (${Object.entries(threadsUsed).map(([k, v]) => `${k} -> ${v}`).join(', ')}), batch 512. kvkit: ${wasm ? `WASM SIMD backend at the same thread count as llama.cpp${kvkitBackend === 'wasm-int16' ? ', int16 activations in quantised GEMVs' : ''}` : 'CpuBackend (pure TypeScript, one thread)'}. Both read the same GGUF files.`,
      ],
    };
  },
};
