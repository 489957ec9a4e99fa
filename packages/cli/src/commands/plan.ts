import type { CachePlan, CacheRecommendation, PlanRow } from '@kvkit/cache';
import { planCache } from '@kvkit/cache';
import { loadModelFrom } from '@kvkit/loaders';
import { KV_DTYPES } from '@kvkit/tensor';
import type { Flags } from '../args/flags.js';
import { int, oneOf } from '../args/values.js';
import type { Command } from '../command.js';
import { downloadProgress, modelChoice, modelFlags } from '../options/model.js';
import { formatFlags, formatOf, jsonAliasFlag, writeJson } from '../options/output.js';

const flags = {
  context: { type: 'string', value: '<tokens>', help: 'tokens the cache must hold', default: "the model's context length" },
  'max-bytes': { type: 'string', value: '<bytes>', help: 'a byte budget for the whole cache: adds what fits and a recommendation', default: 'none' },
  'kv-dtype': { type: 'string', value: KV_DTYPES.join('|'), help: 'only this storage format', default: 'f32, f16, int8, kivi4 and kivi2' },
  model: modelFlags.model,
  ...formatFlags,
  ...jsonAliasFlag,
} as const;

function size(b: number): string {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(2)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(2)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b} B`;
}

/** The recommendation as flags to pass: what a person does next. */
export function recommendationText(rec: CacheRecommendation, plan: CachePlan, retrain?: PlanRow): string {
  switch (rec.kind) {
    case 'full-cache':
      return `keep the full cache in ${rec.kvDtype} (${plan.context} tokens take ${size(rec.bytes)}); no eviction needed: --kv-dtype ${rec.kvDtype}`;
    case 'evict': {
      const p = rec.policy;
      const budget = (p.budget as { budget: number }).budget;
      return (
        `store K/V in ${rec.kvDtype} and keep at most ${rec.tokens} tokens per layer (${Math.round(rec.share * 100)}% of the context): ` +
        `--kv-dtype ${rec.kvDtype} --policy ${p.policy.kind} --budget ${budget} --recompress-interval ${p.recompressInterval} for long prompts, ` +
        `or --kv-dtype ${rec.kvDtype} --policy streaming --budget ${rec.tokens} for endless chat; --max-bytes ${plan.maxBytes} alone picks the first`
      );
    }
    case 'too-small':
      return (
        `the budget is too small for a useful cache of this model (${size(rec.minBytes)} hold 16 tokens per layer in ${rec.kvDtype}): raise --max-bytes or lower --context` +
        (retrain ? `; a model trained with ${retrain.label} would hold ${plan.context} tokens in ${retrain.kvDtype}` : '')
      );
    default:
      return String((rec satisfies never as { kind: string }).kind);
  }
}

async function run(f: Flags): Promise<void> {
  const format = formatOf(f);
  const context = int(f, 'context', 1);
  const maxBytes = int(f, 'max-bytes', 1);
  const kvDtype = oneOf(f, 'kv-dtype', KV_DTYPES);
  const choice = modelChoice(f);
  const progress = downloadProgress(choice, false);
  const { config } = await loadModelFrom(choice.source, progress ? { onProgress: progress } : {});
  const plan = planCache(config, { context: context ?? config.contextLength, ...(maxBytes !== undefined ? { maxBytes } : {}), ...(kvDtype ? { kvDtype } : {}) });
  if (format === 'json') {
    writeJson({ model: choice.label, ...plan, ...(plan.recommendation ? { recommendationText: recommendationText(plan.recommendation, plan, plan.retrainInstead) } : {}) });
    return;
  }
  const budget = plan.maxBytes !== undefined;
  const lines = [
    `KV cache of ${choice.label} at ${plan.context} tokens${budget ? `, budget ${size(plan.maxBytes!)}` : ''}`,
    '',
    '| sharing | retrain | kv dtype | bytes/token | bytes at context |' + (budget ? ' fits | tokens in budget |' : ''),
    '| --- | :---: | --- | ---: | ---: |' + (budget ? ' :---: | ---: |' : ''),
    ...plan.rows.map(
      (r) =>
        `| ${r.label} | ${r.retrain ? 'yes' : 'no'} | ${r.kvDtype} | ${+r.bytesPerToken.toFixed(2)} | ${size(r.bytesAtContext)} |` +
        (budget ? ` ${r.fitsContext ? 'yes' : 'no'} | ${r.tokensWithinBudget} |` : ''),
    ),
  ];
  if (plan.recommendation) lines.push('', `Recommendation: ${recommendationText(plan.recommendation, plan, plan.retrainInstead)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'bytes of the KV cache per sharing scheme and storage format, and what fits a byte budget',
  flags,
  details: `Examples:
  kvkit plan                                   # the shipped model at its full context
  kvkit plan --context 1024 --max-bytes 500000 --format json`,
  run,
};
