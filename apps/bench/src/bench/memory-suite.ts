// Suite `memory`: KV bytes per token and at long contexts for published configs, every sharing scheme and
// KV dtype (policies.md §11, §13); the MLKV paper's OPT-175B row; and the live cache checked against the formula.
import type { ByteLayout, KvDtype, SharingScheme, SharingSchemeName } from '@kvkit/cache';
import {
  bytesPerToken,
  cacheBytes,
  headTokenBytesKV,
  KIVI_DEFAULTS,
  kvSourceIdentity,
  kvSourceMlkv,
  kvSourceTrainingFree,
  marginalBytesPerToken,
  planLayout,
  SHARING_SCHEMES,
  sharingSchemes,
  sourceLayers,
  YOCO_WINDOW,
} from '@kvkit/cache';
import type { LoadedModel } from '@kvkit/loaders';
import { argmax, LlamaModel, Session } from '@kvkit/runtime';
import type { SessionOptions } from '@kvkit/runtime';
import { CpuBackend } from '@kvkit/tensor';
import { stories260k, tinyStories } from '../fixtures.js';
import { openModel } from '../model-source.js';
import { fileWindows } from '../text-windows.js';
import type { Check, Table } from './report.js';
import { benchEnv } from './report.js';
import type { Suite } from './suite.js';
import { intItem, listArg, oneOfItem, str } from './suite.js';
import { barChart } from './svg.js';

/** A published attention config: what the KV cache depends on. */
export interface AttentionConfig {
  readonly name: string;
  readonly nLayers: number;
  readonly nHeads: number;
  /** KV heads as published (= nHeads for MHA models). */
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly source: string;
}

/** The configs of the table, from each model's published config (HF config.json / paper). */
export const PUBLISHED_CONFIGS: readonly AttentionConfig[] = [
  { name: 'Llama-2-7B', nLayers: 32, nHeads: 32, nKvHeads: 32, headDim: 128, source: 'hidden 4096, 32 layers, 32 heads, 32 KV heads (MHA)' },
  { name: 'Llama-3-8B', nLayers: 32, nHeads: 32, nKvHeads: 8, headDim: 128, source: 'hidden 4096, 32 layers, 32 heads, 8 KV heads (GQA-4)' },
  { name: 'Qwen2.5-0.5B', nLayers: 24, nHeads: 14, nKvHeads: 2, headDim: 64, source: 'hidden 896, 24 layers, 14 heads, 2 KV heads (GQA-7)' },
  { name: 'OPT-175B', nLayers: 96, nHeads: 96, nKvHeads: 96, headDim: 128, source: 'hidden 12288, 96 layers, 96 heads (MHA), as in the MLKV paper' },
  { name: 'stories260K', nLayers: 5, nHeads: 8, nKvHeads: 4, headDim: 8, source: 'dim 64, 5 layers, 8 heads, 4 KV heads (GQA-2), our reference model' },
];

export const MEMORY_DTYPES: readonly KvDtype[] = ['f32', 'f16', 'int8', 'kivi4', 'kivi2'];
export const SHARINGS = SHARING_SCHEMES;
export type Sharing = SharingSchemeName;

function layoutOf(c: AttentionConfig, s: SharingScheme, kvDtype: KvDtype): ByteLayout {
  return planLayout(s, c.headDim, kvDtype);
}

export function fmtBytes(b: number): string {
  const GiB = 2 ** 30;
  const MiB = 2 ** 20;
  const KiB = 2 ** 10;
  if (b >= GiB) return `${+(b / GiB).toPrecision(4)} GiB`;
  if (b >= MiB) return `${+(b / MiB).toPrecision(4)} MiB`;
  if (b >= KiB) return `${+(b / KiB).toPrecision(4)} KiB`;
  return `${b} B`;
}

export interface FormulaRow {
  readonly model: string;
  readonly sharing: Sharing;
  readonly layout: string;
  readonly kvLayers: number;
  readonly nKvHeads: number;
  readonly kvDtype: KvDtype;
  readonly bytesPerToken: number;
  readonly bytesAt: Record<string, number>;
}

export interface LiveRow {
  readonly variant: string;
  readonly kvSource: readonly number[];
  readonly slidingWindow?: readonly (number | null)[];
  readonly policy?: string;
  readonly kvDtype: KvDtype;
  readonly tokens: number;
  readonly bytesUsed: number;
  readonly formulaBytes: number | null;
  readonly bytesPerTokenReported: number;
  readonly bytesPerTokenFormula: number;
  readonly bytesReserved: number;
  readonly bytesAllocated: number;
  /** Every step checked (prefill then each decode step): how many, and how many disagreed. */
  readonly steps: number;
  readonly mismatches: number;
  readonly equal: boolean | null;
}

/** The live variants on stories260K: training-free cross-layer maps on its 5 layers, one windowed map, two policies. */
function liveVariants(L: number): { name: string; kvSource: number[]; slidingWindow?: (number | null)[]; policy?: SessionOptions['policy'] }[] {
  return [
    { name: 'as trained', kvSource: kvSourceIdentity(L) },
    { name: 'training-free share 1,3 (CLA-like)', kvSource: kvSourceTrainingFree(L, [1, 3]) },
    { name: 'MLKV map, 2 KV layers', kvSource: kvSourceMlkv(L, 2) },
    { name: 'one KV layer (all read 0)', kvSource: kvSourceTrainingFree(L, Array.from({ length: L - 1 }, (_, i) => i + 1)) },
    {
      name: 'YOCO-like: windows of 64 on 0,1; 2..4 read 2',
      kvSource: Array.from({ length: L }, (_, l) => (l < 2 ? l : 2)),
      slidingWindow: Array.from({ length: L }, (_, l) => (l < 2 ? 64 : null)),
    },
    { name: 'streaming, budget 64', kvSource: kvSourceIdentity(L), policy: { policy: { kind: 'streaming' }, budget: { budget: 64 } } },
    { name: 'snapkv, budget 64', kvSource: kvSourceIdentity(L), policy: { policy: { kind: 'snapkv' }, budget: { budget: 64 } } },
  ];
}

/**
 * Prefill `prompt`, decode greedily to `total` tokens, and after every append compare the cache's
 * `stats().bytesUsed` with `cacheBytes(layout, tokens)` (policies: the per-head sum of the same rates
 * over `tokensHeld`; KIVI under eviction has holes, so there the bytes are reported, not checked).
 */
export async function liveCheck(loaded: LoadedModel, prompt: readonly number[], total: number, variant: ReturnType<typeof liveVariants>[number], kvDtype: KvDtype): Promise<LiveRow> {
  const config = { ...loaded.config, kvSource: variant.kvSource, ...(variant.slidingWindow ? { slidingWindow: variant.slidingWindow } : {}) };
  using backend = new CpuBackend();
  using model = LlamaModel.load(backend, { config, weights: loaded.weights });
  const kivi = kvDtype.startsWith('kivi');
  using session = new Session(model, { kvDtype, ...(kivi ? { kivi: KIVI_DEFAULTS } : {}), ...(variant.policy ? { policy: variant.policy } : {}), maxTokens: total });
  const layout: ByteLayout = {
    kvSource: config.kvSource,
    nKvHeads: config.nKvHeads,
    headDim: config.headDim,
    kvDtype,
    ...(kivi ? { kivi: KIVI_DEFAULTS } : {}),
    ...(variant.slidingWindow ? { slidingWindow: variant.slidingWindow } : {}),
  };
  const sources = sourceLayers(config.kvSource);
  const formula = (tokensHeld: number[][]): number | null => {
    if (kivi && (variant.policy || variant.slidingWindow)) return null;
    if (!variant.policy) return cacheBytes(layout, session.position);
    const per = headTokenBytesKV(layout);
    return sources.reduce((s, l) => s + tokensHeld[l]!.reduce((a, n) => a + n * per, 0), 0);
  };
  let steps = 0;
  let mismatches = 0;
  let last = { used: 0, formula: null as number | null };
  const check = () => {
    const s = session.stats();
    const f = formula(s.tokensHeld);
    steps++;
    if (f !== null && f !== s.bytesUsed) mismatches++;
    // Without a policy every head of a full layer holds every token; a windowed layer min(tokens, w).
    if (!variant.policy && !variant.slidingWindow && s.tokensHeld.some((h) => h.some((n) => n !== session.position))) mismatches++;
    last = { used: s.bytesUsed, formula: f };
    return s;
  };
  let logits = await session.append(prompt);
  check();
  while (session.position < total) {
    logits = await session.append([argmax(logits)]);
    check();
  }
  const s = session.stats();
  return {
    variant: variant.name,
    kvSource: config.kvSource,
    ...(variant.slidingWindow ? { slidingWindow: variant.slidingWindow } : {}),
    ...(variant.policy ? { policy: variant.policy.policy.kind } : {}),
    kvDtype,
    tokens: session.position,
    bytesUsed: last.used,
    formulaBytes: last.formula,
    bytesPerTokenReported: s.bytesPerToken,
    bytesPerTokenFormula: bytesPerToken(layout),
    bytesReserved: s.bytesReserved,
    bytesAllocated: s.bytesAllocated,
    steps,
    mismatches: mismatches + (s.bytesPerToken === bytesPerToken(layout) ? 0 : 1),
    equal: last.formula === null ? null : mismatches === 0 && s.bytesPerToken === bytesPerToken(layout),
  };
}

const GiB = 2 ** 30;

export const memorySuite: Suite = {
  name: 'memory',
  summary: 'KV bytes per token and at long contexts per sharing scheme and KV dtype; the live cache against the formula',
  help: `kvkit bench memory [--contexts 4096,32768,131072] [--kv-dtypes f32,f16,int8,kivi4,kivi2] [--tokens 300 (quick: 200)] [--model <stories260K>]`,
  options: { contexts: { type: 'string' }, 'kv-dtypes': { type: 'string' }, tokens: { type: 'string' }, model: { type: 'string' }, tokenizer: { type: 'string' } },
  async run(a, ctx) {
    const t0 = performance.now();
    const contexts = listArg(a.contexts, 'contexts', [4096, 32768, 131072], intItem(1));
    const dtypes = listArg(a['kv-dtypes'], 'kv-dtypes', MEMORY_DTYPES, oneOfItem<KvDtype>(['f32', 'f16', 'bf16', 'int8', 'kivi4', 'kivi2']));
    const total = listArg(a.tokens, 'tokens', [ctx.quick ? 200 : 300], intItem(2))[0]!;

    // 1. The formula for every published config, sharing scheme and dtype.
    const rows: FormulaRow[] = [];
    for (const c of PUBLISHED_CONFIGS) {
      for (const s of sharingSchemes(c)) {
        for (const kvDtype of dtypes) {
          const layout = layoutOf(c, s, kvDtype);
          rows.push({
            model: c.name,
            sharing: s.name,
            layout: s.label,
            kvLayers: sourceLayers(s.kvSource).length,
            nKvHeads: s.nKvHeads,
            kvDtype,
            bytesPerToken: marginalBytesPerToken(layout),
            bytesAt: Object.fromEntries(contexts.map((n) => [String(n), cacheBytes(layout, n)])),
          });
        }
      }
    }
    const tables: Table[] = PUBLISHED_CONFIGS.map((c) => ({
      title: `${c.name}: ${c.source}, head dim ${c.headDim}`,
      columns: ['sharing', 'KV layers', 'KV heads', 'KV dtype', 'bytes/token', ...contexts.map((n) => `@${n >= 1024 ? `${n / 1024}k` : n}`)],
      rows: rows.filter((r) => r.model === c.name).map((r) => [r.layout, r.kvLayers, r.nKvHeads, r.kvDtype, r.bytesPerToken, ...contexts.map((n) => fmtBytes(r.bytesAt[String(n)]!))]),
      note: `bytes/token: steady state (KIVI residual excluded; YOCO: the global layer only, windows are constant). Context columns: exact bytes of the whole cache (KIVI residual of ${KIVI_DEFAULTS.residual} f16 tokens, G = ${KIVI_DEFAULTS.group}; YOCO windows included), binary units.`,
    }));

    // 2. The MLKV paper's OPT-175B row (fp16, 32768 tokens): MHA 144 GB, MQA 1.5 GB, MLKV with 24 KV layers of 1 head 0.375 GB.
    const opt = PUBLISHED_CONFIGS.find((c) => c.name === 'OPT-175B')!;
    const paper = [
      { name: 'MHA', kvSource: kvSourceIdentity(96), nKvHeads: 96, expected: 144 },
      { name: 'MQA', kvSource: kvSourceIdentity(96), nKvHeads: 1, expected: 1.5 },
      { name: 'MLKV-24 (1 head)', kvSource: kvSourceMlkv(96, 24), nKvHeads: 1, expected: 0.375 },
    ].map((p) => {
      const bytes = cacheBytes({ kvSource: p.kvSource, nKvHeads: p.nKvHeads, headDim: opt.headDim, kvDtype: 'f16' }, 32768);
      return { ...p, kvSource: undefined, bytes, gib: bytes / GiB, ok: bytes === p.expected * GiB };
    });
    tables.push({
      title: "MLKV paper's OPT-175B row reproduced (f16, 32768 tokens)",
      columns: ['scheme', 'KV heads', 'bytes', 'GiB', 'paper (GB)', 'equal'],
      rows: paper.map((p) => [p.name, p.nKvHeads, p.bytes, p.gib, p.expected, p.ok]),
      note: '2 (K, V) x layers x KV heads x 128 dims x 2 bytes x 32768 tokens; the paper\'s "GB" are binary GiB.',
    });

    // 3. The live cache on stories260K: every dtype x every variant, checked after every append.
    const loaded = await openModel(str(a, 'model'), str(a, 'tokenizer'), stories260k());
    const prompt = fileWindows(loaded.tokenizer, tinyStories(), 20000, 1, Math.min(Math.max(2, Math.floor((total * 2) / 3)), total))[0]!;
    const variants = liveVariants(loaded.config.nLayers);
    const live: LiveRow[] = [];
    const liveDtypes: KvDtype[] = ctx.quick ? ['f32', 'f16', 'int8', 'kivi4', 'kivi2'] : ['f32', 'f16', 'bf16', 'int8', 'kivi4', 'kivi2'];
    const progress = ctx.progress('bench memory (live cache)', variants.length * liveDtypes.length);
    for (const v of variants) {
      for (const kvDtype of liveDtypes) {
        progress.update(`${v.name} ${kvDtype}`);
        live.push(await liveCheck(loaded, prompt, total, v, kvDtype));
        progress.tick();
      }
    }
    progress.finish();
    tables.push({
      title: `Live cache on stories260K: stats().bytesUsed vs cacheBytes(), prompt ${prompt.length} tokens then greedy decode to ${total}`,
      columns: ['variant', 'kvSource', 'KV dtype', 'tokens', 'bytesUsed', 'formula', 'bytes/token (cache / formula)', 'bytesReserved', 'bytesAllocated', 'steps checked', 'equal'],
      rows: live.map((r) => [
        r.variant,
        r.kvSource.join(''),
        r.kvDtype,
        r.tokens,
        r.bytesUsed,
        r.formulaBytes ?? 'n/a (KIVI holes)',
        `${r.bytesPerTokenReported} / ${r.bytesPerTokenFormula}`,
        r.bytesReserved,
        r.bytesAllocated,
        r.steps,
        r.equal === null ? 'not checked' : r.equal,
      ]),
      note:
        'Checked after the prefill and after every decode step. Policies hold ragged per-head counts: the formula is then the sum over source layers and KV heads of tokensHeld x bytes per head-token. ' +
        'A sliding-window layer of window w holds min(t, w) tokens, as cacheBytes counts. ' +
        'KIVI under eviction (policies, windows) leaves holes in quantised groups, whose bytes are reported, not checked.',
    });

    const checks: Check[] = [
      ...paper.map((p) => ({ name: `MLKV paper OPT-175B ${p.name}`, ok: p.ok, detail: `${p.bytes} B = ${p.gib} GiB (paper: ${p.expected} GB)` })),
      {
        name: 'live bytesUsed equals the formula',
        ok: live.every((r) => r.equal !== false),
        detail: `${live.filter((r) => r.equal === true).length} runs equal at every step (${live.reduce((s, r) => s + r.steps, 0)} checks), ${live.filter((r) => r.equal === false).length} differ, ${live.filter((r) => r.equal === null).length} not checkable (KIVI under eviction)` +
          live.filter((r) => r.equal === false).map((r) => `; ${r.variant} ${r.kvDtype}: ${r.bytesUsed} vs ${r.formulaBytes} (${r.mismatches}/${r.steps} steps)`).join(''),
      },
      {
        name: 'live bytesAllocated covers bytesUsed',
        ok: live.every((r) => r.bytesAllocated >= r.bytesUsed && r.bytesReserved >= r.bytesUsed),
        detail: 'bytesReserved >= bytesUsed and bytesAllocated >= bytesUsed in every run',
      },
    ];

    const ctx32 = contexts.includes(32768) ? 32768 : contexts[Math.floor(contexts.length / 2)]!;
    const byModel = barChart({
      title: `KV cache at ${ctx32} tokens, f16, per sharing scheme`,
      yLabel: 'bytes (log scale)',
      yLog: true,
      categories: PUBLISHED_CONFIGS.map((c) => c.name),
      series: SHARINGS.map((s) => ({
        name: s,
        values: PUBLISHED_CONFIGS.map((c) => rows.find((r) => r.model === c.name && r.sharing === s && r.kvDtype === (dtypes.includes('f16') ? 'f16' : dtypes[0]))?.bytesAt[String(ctx32)] ?? NaN),
      })),
    });
    const l3 = 'Llama-3-8B';
    const byDtype = barChart({
      title: `${l3}: KV cache at ${ctx32} tokens per sharing scheme and KV dtype`,
      yLabel: 'GiB',
      categories: [...SHARINGS],
      series: dtypes.map((d) => ({ name: d, values: SHARINGS.map((s) => (rows.find((r) => r.model === l3 && r.sharing === s && r.kvDtype === d)?.bytesAt[String(ctx32)] ?? NaN) / GiB) })),
    });
    return {
      suite: 'memory',
      quick: ctx.quick,
      env: benchEnv(),
      params: { contexts, kvDtypes: dtypes, liveTokens: total, yocoWindow: YOCO_WINDOW, kivi: KIVI_DEFAULTS },
      durationMs: performance.now() - t0,
      checks,
      tables,
      plots: [
        { file: 'bytes-by-model.svg', title: `KV cache at ${ctx32} tokens, f16, per model and sharing scheme`, svg: byModel },
        { file: 'bytes-llama3-by-dtype.svg', title: `${l3}: KV cache at ${ctx32} tokens per sharing scheme and dtype`, svg: byDtype },
      ],
      data: { configs: PUBLISHED_CONFIGS, rows, mlkvPaper: paper, live },
      notes: [
        'Configs (published): ' + PUBLISHED_CONFIGS.map((c) => `${c.name}: ${c.source}, head dim ${c.headDim}`).join('; ') + '.',
        `Sharing: MHA = every head; GQA = the published KV heads (H/8 for MHA models); MQA = 1 head; MLKV = ceil(L/4) KV layers of 1 head (the paper's OPT-175B setting); CLA-2 = every 2nd layer computes K/V; YOCO = L/2 sliding-window layers (window ${YOCO_WINDOW}) + one global K/V layer. KIVI: G = ${KIVI_DEFAULTS.group}, residual ${KIVI_DEFAULTS.residual}.`,
      ],
    };
  },
};
