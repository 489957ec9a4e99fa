import { readSnapshotHeader } from '@kvkit/runtime';
import { loadSnapshot, saveSnapshot } from '@kvkit/runtime/node';
import type { Flags } from '../args/flags.js';
import { int, str } from '../args/values.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { backendFlags, backendRequest, describeBackend } from '../options/backend.js';
import { modelChoice, modelFlags } from '../options/model.js';
import { formatFlags, formatOf, note, verbose, verboseFlag, writeJson } from '../options/output.js';
import { kvDtypeFlags, policyFlags } from '../options/policy.js';
import { sampling, samplingFlags } from '../options/sampling.js';
import { cacheReport, openTextModel, resolveCache, sessionOptions, textRunRequest } from '../options/session.js';
import type { TextRunRequest } from '../options/session.js';
import { snapshotFlags, snapshotRequest } from '../options/snapshot.js';

const flags = {
  prompt: { type: 'string', value: '<text>', help: 'the text to continue (with --load-cache: text added after the saved run)', default: 'none: start from BOS' },
  'max-tokens': { type: 'string', value: '<n>', help: 'most tokens to generate', default: "up to the model's context" },
  stop: { type: 'string', value: '<text>', help: 'stop before this text appears', default: "none: stop at the model's end of text" },
  'no-cache': { type: 'boolean', help: 'recompute every position each step instead of keeping a KV cache (slow; for comparison)' },
  ...samplingFlags,
  ...modelFlags,
  ...backendFlags,
  ...policyFlags,
  ...kvDtypeFlags,
  ...snapshotFlags,
  ...formatFlags,
  ...verboseFlag,
} as const;

async function run(f: Flags): Promise<void> {
  const format = formatOf(f);
  const snap = snapshotRequest(f);
  // With --load-cache the snapshot decides the cache: only the model and backend come from the flags.
  const request: TextRunRequest = snap.load ? { model: modelChoice(f), backend: backendRequest(f), cache: {}, storage: {}, noCache: false } : textRunRequest(f);
  const maxTokens = int(f, 'max-tokens', 1);
  const sample = sampling(f);
  const stop = str(f, 'stop');
  if (stop === '') throw new UsageError('--stop must not be empty');
  if (request.noCache && (request.cache.policy || request.cache.maxBytes !== undefined)) throw new UsageError('--no-cache keeps no cache, so it takes no --policy or --max-bytes');
  const prompt = str(f, 'prompt') ?? '';

  using opened = await openTextModel(request, false);
  const { model, info } = opened;
  const context = model.config.contextLength;
  const snapshot = snap.load ? await loadSnapshot(snap.load.path) : undefined;
  const restored = snapshot ? readSnapshotHeader(snapshot) : undefined;
  const promptTokens = model.tokenizer.encode(prompt, { bos: !restored });
  const held = restored ? restored.tokens + (restored.text?.pending != null ? 1 : 0) : 0;
  if (held + promptTokens.length >= context) {
    throw new UsageError(`--prompt is ${promptTokens.length} tokens${held ? ` after the ${held} of --load-cache` : ''} but the model's context is ${context} (one more is needed to generate): shorten --prompt`);
  }
  if (restored && held === restored.tokens && promptTokens.length === 0) {
    throw new UsageError(`the run saved in --load-cache ended at the end of its text: pass --prompt to continue it`);
  }
  const policy = restored ? (restored.session.policy ?? undefined) : resolveCache(request, model.config).policy;
  using session = snapshot ? model.restoreSession(snapshot, snap.load!.expect) : model.createSession(sessionOptions(request, model.config));
  const restoredTokens = session.tokens.slice();
  const stream = session.generate(prompt, { ...(maxTokens !== undefined ? { maxTokens } : {}), ...sample, ...(stop !== undefined ? { stop } : {}) });
  if (verbose(f)) note(`model ${request.model.label}; backend ${describeBackend(info)}`);
  if (format === 'text') {
    process.stdout.write(prompt);
    for await (const chunk of stream) process.stdout.write(chunk.text);
    process.stdout.write('\n');
  } else {
    for await (const _ of stream) void _;
  }
  const r = await stream.result;
  if (format === 'text' && r.finishReason === 'context') note(`stopped at the model's context of ${context} tokens`);
  if (verbose(f)) {
    note(`seed ${r.seed}${sample.seed === undefined && sample.temperature > 0 ? ' (drawn; pass --seed to repeat)' : ''}; prefill ${r.promptTokens} tokens in ${r.timings.prefillMs.toFixed(1)} ms; ${r.generatedTokens} tokens, ${r.timings.tokensPerSecond.toFixed(1)} tok/s decode; finish: ${r.finishReason}`);
  }
  const saved = snap.save ? await session.snapshot() : undefined;
  if (saved) await saveSnapshot(snap.save!, saved);
  if (verbose(f) && saved) note(`cache snapshot: ${saved.length} bytes (${session.stats().bytesUsed} bytes of K/V) in ${snap.save}`);
  if (format === 'json') {
    const pending = restored?.text?.pending;
    writeJson({
      model: request.model.label,
      text: prompt + r.text,
      completion: r.text,
      tokens: [...restoredTokens, ...(pending != null ? [pending] : []), ...promptTokens, ...r.tokens],
      promptTokens: r.promptTokens,
      generatedTokens: r.generatedTokens,
      finishReason: r.finishReason,
      seed: r.seed,
      sampling: { temperature: sample.temperature, topK: sample.topK, topP: sample.topP },
      backend: info,
      timings: r.timings,
      cache: {
        ...(request.noCache ? { mode: 'recompute', bytesUsed: session.stats().bytesUsed } : cacheReport(session, policy)),
        ...(snap.load ? { restoredFrom: snap.load.path, restoredTokens: restoredTokens.length } : {}),
        ...(saved ? { savedTo: snap.save, snapshotBytes: saved.length } : {}),
      },
    });
  }
}

export const generateCommand: Command = {
  name: 'generate',
  summary: 'continue a prompt, streaming the text',
  flags,
  details: `Examples:
  kvkit generate --prompt "Once upon a time" --max-tokens 40
  kvkit generate --prompt "The dog" --temperature 0.8 --seed 7 --format json
  kvkit generate --model model.gguf --prompt "Hi" --policy snapkv --budget 64 --kv-dtype int8
  kvkit generate --prompt "Once" --max-bytes 200000      # kvkit picks KV dtype and policy for 200 kB
  kvkit generate --prompt "Once upon a time" --max-tokens 20 --policy h2o --budget 64 --save-cache story.kvsnap
  kvkit generate --load-cache story.kvsnap --max-tokens 20               # goes on where the saved run stopped
  kvkit generate --load-cache story.kvsnap --prompt " The end." --format json   # cache.restoredTokens, timings.prefillMs`,
  run,
};
