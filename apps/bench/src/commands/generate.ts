import { LlamaModel } from '@kvkit/runtime';
import { intArg, numArg, oneOf, parse } from '../args.js';
import { openBackend } from '../backend-choice.js';
import { openModel } from '../model-source.js';
import { kvDtypeFromArgs, kvDtypeHelp, kvDtypeOptions, policyFromArgs, policyHelp, policyOptions } from '../policy-args.js';
import { runGeneration } from '../run-generation.js';

export const generateHelp = `kvkit generate --model <file|dir> [--tokenizer <file>] --prompt <text> --max-tokens <N>
               [--temperature 0] [--top-k 0] [--top-p 1] [--seed S] [--no-cache] [--format text|json] [--backend cpu|wasm|webgpu] [--threads n]
               ${policyHelp}
               ${kvDtypeHelp}`;

export async function generateCommand(argv: string[]): Promise<void> {
  const a = parse(argv, {
    model: { type: 'string' },
    tokenizer: { type: 'string' },
    prompt: { type: 'string', default: '' },
    'max-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
    format: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    ...policyOptions,
    ...kvDtypeOptions,
  });
  const policy = policyFromArgs(a);
  const storage = kvDtypeFromArgs(a);
  const format = oneOf(a.format, 'format', ['text', 'json'] as const, 'text');
  const loaded = await openModel(a.model, a.tokenizer);
  const tok = loaded.tokenizer;
  using backend = await openBackend(a.backend, intArg(a.threads, 'threads', 1, 1));
  using model = LlamaModel.load(backend, loaded);
  const prompt = tok.encode(a.prompt ?? '');
  const maxTokens = intArg(a['max-tokens'], 'max-tokens', loaded.config.contextLength - prompt.length, 1);
  const out = process.stdout;
  if (format === 'text') out.write(tok.decode(prompt));
  const run = await runGeneration(model, prompt, {
    maxTokens,
    temperature: numArg(a.temperature, 'temperature', 0),
    topK: intArg(a['top-k'], 'top-k', 0),
    topP: numArg(a['top-p'], 'top-p', 1),
    seed: intArg(a.seed, 'seed', 1337),
    session: { mode: a['no-cache'] ? 'recompute' : 'cache', ...(policy ? { policy } : {}), ...storage },
    onToken: format === 'text' ? (t, prev) => out.write(tok.decodePiece(prev, t)) : undefined,
  });
  const s = run.stats;
  if (format === 'text') {
    out.write('\n');
    process.stderr.write(`achieved tok/s: ${run.tokensPerSecond.toFixed(1)} (prefill ${run.prefillMs.toFixed(1)} ms, ${run.generated.length} tokens)\n`);
    return;
  }
  const json = {
    text: tok.decode(run.tokens),
    tokens: run.tokens,
    promptTokens: run.promptTokens,
    generatedTokens: run.generated.length,
    finishReason: run.finish,
    backend: backend.name,
    timings: { prefillMs: run.prefillMs, decodeMs: run.decodeMs, tokensPerSecond: run.tokensPerSecond },
    cache: {
      bytesUsed: s.bytesUsed,
      bytesPerToken: s.bytesPerToken,
      kvDtype: storage.kvDtype,
      tokensHeld: Math.max(0, ...s.tokensHeld.flat()),
      bytesReserved: s.bytesReserved,
      tokensHeldPerHead: s.tokensHeld,
      ...(run.policy ? { policy: run.policy } : {}),
    },
  };
  out.write(JSON.stringify(json) + '\n');
}
