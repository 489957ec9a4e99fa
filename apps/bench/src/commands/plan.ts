import type { ByteLayout, KvDtype } from '@kvkit/cache';
import { bytesPerToken, cacheBytes, kvSourceCla, kvSourceIdentity, kvSourceMlkv, kvSourceTrainingFree, yocoConfig } from '@kvkit/cache';
import type { ModelConfig } from '@kvkit/loaders';
import { intArg, oneOf, parse, UsageError } from '../args.js';
import { KV_DTYPES } from '@kvkit/tensor';
import { openModel } from '../model-source.js';

export const planHelp = `kvkit plan --model <m> --context <n> [--max-bytes <b>] [--kv-dtype d] [--json]`;

interface Sharing {
  readonly name: string;
  /** Needs a model trained that way (true) or works on this checkpoint as is (false). */
  readonly retrain: boolean;
  readonly kvSource: number[];
  readonly nKvHeads: number;
  readonly slidingWindow?: (number | null)[];
  readonly note: string;
}

/** Quality cost of each KV dtype, as published (policies.md §10), to rank equal-memory choices. */
const DTYPES: { dtype: KvDtype; note: string }[] = [
  { dtype: 'f32', note: 'exact' },
  { dtype: 'f16', note: 'practically lossless' },
  { dtype: 'int8', note: '~+0.005 PPL (7B, Wikitext)' },
  { dtype: 'kivi4', note: 'small loss (KIVI-4)' },
  { dtype: 'kivi2', note: 'noticeable loss on small models (KIVI-2)' },
];

function sharings(c: ModelConfig): Sharing[] {
  const L = c.nLayers;
  const out: Sharing[] = [{ name: 'as trained', retrain: false, kvSource: [...c.kvSource], nKvHeads: c.nKvHeads, note: `${c.nKvHeads} KV heads` }];
  if (L > 1) {
    const odd = Array.from({ length: Math.floor(L / 2) }, (_, i) => 2 * i + 1);
    out.push({ name: 'training-free: odd layers reuse l-1', retrain: false, kvSource: kvSourceTrainingFree(L, odd), nKvHeads: c.nKvHeads, note: 'measure quality first (kvkit eval ppl --share-layers)' });
  }
  if (c.nKvHeads > 1) out.push({ name: 'MQA', retrain: true, kvSource: kvSourceIdentity(L), nKvHeads: 1, note: '1 KV head per layer' });
  if (L >= 2) out.push({ name: 'CLA-2', retrain: true, kvSource: kvSourceCla(L, 2), nKvHeads: c.nKvHeads, note: 'pairs of layers share K/V' });
  for (const m of [Math.floor(L / 2), Math.floor(L / 4)]) {
    if (m >= 1 && m < L) out.push({ name: `MLKV-${m}`, retrain: true, kvSource: kvSourceMlkv(L, m), nKvHeads: 1, note: `${m} KV layers of 1 head` });
  }
  if (L >= 2 && L % 2 === 0) {
    const y = yocoConfig(L, Math.min(512, c.contextLength));
    out.push({ name: 'YOCO (window 512)', retrain: true, kvSource: y.kvSource, nKvHeads: c.nKvHeads, slidingWindow: y.slidingWindow, note: 'one global K/V + windows' });
  }
  return out;
}

/** Bytes per token, bytes at a context, and which choice fits a byte budget, for one model. */
export async function planCommand(argv: string[]): Promise<void> {
  const a = parse(argv, { model: { type: 'string' }, tokenizer: { type: 'string' }, context: { type: 'string' }, 'max-bytes': { type: 'string' }, 'kv-dtype': { type: 'string' }, json: { type: 'boolean', default: false } });
  const only = a['kv-dtype'] === undefined ? undefined : oneOf(a['kv-dtype'], 'kv-dtype', KV_DTYPES, 'f32');
  if (a.context === undefined) throw new UsageError(`--context is required\n${planHelp}`);
  const { config } = await openModel(a.model, a.tokenizer);
  const context = intArg(a.context, 'context', 0, 1);
  const maxBytes = a['max-bytes'] === undefined ? undefined : intArg(a['max-bytes'], 'max-bytes', 0, 1);
  const rows = sharings(config).flatMap((s) =>
    DTYPES.filter(({ dtype }) => only === undefined || dtype === only).map(({ dtype, note }) => {
      const layout: ByteLayout = { kvSource: s.kvSource, nKvHeads: s.nKvHeads, headDim: config.headDim, kvDtype: dtype, ...(s.slidingWindow ? { slidingWindow: s.slidingWindow } : {}) };
      // Steady state: quantised tokens with their scales (KIVI's f16 residual is in bytesAtContext).
      const perToken = bytesPerToken(layout);
      const atContext = cacheBytes(layout, context);
      // With a byte budget: the largest per-layer token budget that fits (for an eviction policy).
      let fit: number | undefined;
      if (maxBytes !== undefined) {
        let lo = 0;
        let hi = context;
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2);
          if (cacheBytes(layout, mid) <= maxBytes) lo = mid;
          else hi = mid - 1;
        }
        fit = cacheBytes(layout, lo) <= maxBytes ? lo : 0;
      }
      return { sharing: s.name, retrain: s.retrain, kvDtype: dtype, bytesPerToken: perToken, bytesAtContext: atContext, fitsContext: maxBytes === undefined ? undefined : atContext <= maxBytes, tokensWithinBudget: fit, note: `${s.note}; ${note}` };
    }),
  );
  const recommendation = maxBytes === undefined ? undefined : recommend(rows, context, maxBytes);
  if (a.json) {
    process.stdout.write(JSON.stringify({ model: a.model ?? 'default', context, maxBytes, rows, recommendation }) + '\n');
    return;
  }
  const mib = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
  const lines = [
    `KV cache plan at ${context} tokens${maxBytes !== undefined ? `, budget ${mib(maxBytes)}` : ''}`,
    '',
    '| sharing | retrain | kv dtype | bytes/token | bytes at context |' + (maxBytes !== undefined ? ' fits | tokens in budget |' : ''),
    '| --- | :---: | --- | ---: | ---: |' + (maxBytes !== undefined ? ' :---: | ---: |' : ''),
    ...rows.map((r) => `| ${r.sharing} | ${r.retrain ? 'yes' : 'no'} | ${r.kvDtype} | ${r.bytesPerToken.toFixed(1)} | ${mib(r.bytesAtContext)} |` + (maxBytes !== undefined ? ` ${r.fitsContext ? 'yes' : 'no'} | ${r.tokensWithinBudget} |` : '')),
  ];
  if (recommendation) lines.push('', `Recommendation: ${recommendation}`);
  process.stdout.write(lines.join('\n') + '\n');
}

type Row = { sharing: string; retrain: boolean; kvDtype: KvDtype; fitsContext?: boolean; tokensWithinBudget?: number };

/**
 * Prefer what needs no retraining and loses least: full cache at the highest precision that fits;
 * else eviction at the precision that keeps the most tokens with little loss (int8, then KIVI-4),
 * with DynamicKV for long prompts and StreamingLLM for endless chat.
 */
function recommend(rows: Row[], context: number, maxBytes: number): string {
  const asTrained = rows.filter((r) => r.sharing === 'as trained');
  const full = asTrained.find((r) => r.fitsContext && r.kvDtype !== 'kivi2');
  if (full) return `keep the full cache in ${full.kvDtype} (${context} tokens fit in ${maxBytes} bytes); no eviction needed.`;
  const evict = asTrained.filter((r) => r.kvDtype === 'int8' || r.kvDtype === 'kivi4').sort((a, b) => b.tokensWithinBudget! - a.tokensWithinBudget!)[0];
  const kept = evict?.tokensWithinBudget ?? 0;
  if (kept < 16) {
    const retrain = rows.find((r) => r.retrain && r.fitsContext);
    return retrain
      ? `the budget is too small for this model's cache at any precision; a model trained with ${retrain.sharing} in ${retrain.kvDtype} would fit ${context} tokens.`
      : 'the budget is too small for a useful cache: raise --max-bytes or shorten the context.';
  }
  return `store K/V in ${evict!.kvDtype} and evict to ${kept} tokens per layer: --kv-dtype ${evict!.kvDtype} --policy dynamickv --budget ${kept} for long prompts (or --policy streaming --budget ${kept} for endless chat); ${Math.round((100 * kept) / context)}% of the context kept.`;
}
