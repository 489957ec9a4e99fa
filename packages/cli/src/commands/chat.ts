import { createInterface } from 'node:readline';
import type { ChatMessage } from '@kvkit/runtime';
import type { Flags } from '../args/flags.js';
import { int, oneOf, str } from '../args/values.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { backendFlags, describeBackend } from '../options/backend.js';
import { modelFlags } from '../options/model.js';
import { formatFlags, formatOf, note, verbose, verboseFlag, writeJson } from '../options/output.js';
import { kvDtypeFlags, policyFlags } from '../options/policy.js';
import { sampling, samplingFlags } from '../options/sampling.js';
import { cacheReport, openTextModel, resolveCache, sessionOptions, textRunRequest } from '../options/session.js';

const flags = {
  system: { type: 'string', value: '<text>', help: 'a system message that opens the conversation', default: 'none' },
  'max-tokens': { type: 'string', value: '<n>', help: 'most tokens per reply', default: '256' },
  template: { type: 'string', value: 'model|plain', help: "the model's chat template, or the plain-text fallback (User:/Assistant: lines)", default: "model, or plain when the model has none" },
  ...samplingFlags,
  ...modelFlags,
  ...backendFlags,
  ...policyFlags,
  ...kvDtypeFlags,
  ...formatFlags,
  ...verboseFlag,
} as const;

async function run(f: Flags): Promise<void> {
  const format = formatOf(f);
  const request = textRunRequest(f);
  if (request.noCache) throw new UsageError('chat keeps its cache between turns');
  const maxTokens = int(f, 'max-tokens', 1) ?? 256;
  const sample = sampling(f);
  const wanted = oneOf(f, 'template', ['model', 'plain'] as const);
  const system = str(f, 'system');

  using opened = await openTextModel(request, false);
  const { model, info } = opened;
  if (wanted === 'model' && !model.chatTemplate) {
    throw new UsageError(`--template model: ${request.model.label} has no chat template (GGUF tokenizer.chat_template or chat_template in tokenizer_config.json); use --template plain`);
  }
  const plain = wanted === 'plain' || !model.chatTemplate;
  if (plain && wanted === undefined) note("this model has no chat template: using the plain-text fallback (User:/Assistant: lines; a reply ends at the next 'User:')");
  const { policy } = resolveCache(request, model.config);
  using session = model.createSession(sessionOptions(request, model.config));
  if (verbose(f)) note(`model ${request.model.label}; backend ${describeBackend(info)}`);
  if (format === 'json') writeJson({ type: 'ready', model: request.model.label, template: plain ? 'plain' : 'model', backend: info });

  const messages: ChatMessage[] = system ? [{ role: 'system', content: system }] : [];
  const tty = process.stdin.isTTY === true;
  const lines = createInterface({ input: process.stdin, terminal: false });
  if (tty) process.stderr.write("kvkit chat: type a message, '/exit' or Ctrl-D to end\n> ");
  let turn = 0;
  for await (const line of lines) {
    const text = line.trim();
    if (text === '/exit') break;
    if (text === '') {
      if (tty) process.stderr.write('> ');
      continue;
    }
    messages.push({ role: 'user', content: text });
    const stream = session.chat(messages, { maxTokens, ...sample, ...(plain ? { template: 'plain' as const } : {}) });
    for await (const chunk of stream) if (format === 'text') process.stdout.write(chunk.text);
    const r = await stream.result;
    turn++;
    messages.push({ role: 'assistant', content: r.text });
    if (format === 'text') {
      process.stdout.write('\n');
      if (r.finishReason === 'context') note(`stopped at the model's context of ${model.config.contextLength} tokens: the next message will not fit; start a new chat`);
    }
    if (verbose(f)) {
      note(`turn ${turn}: prefilled ${r.promptTokens} new tokens (${r.reusedTokens} reused from the cache), ${r.generatedTokens} generated at ${r.timings.tokensPerSecond.toFixed(1)} tok/s; seed ${r.seed}; finish: ${r.finishReason}`);
    }
    if (format === 'json') {
      writeJson({
        type: 'turn',
        turn,
        user: text,
        reply: r.text,
        finishReason: r.finishReason,
        promptTokens: r.promptTokens,
        reusedTokens: r.reusedTokens,
        generatedTokens: r.generatedTokens,
        seed: r.seed,
        timings: r.timings,
        cache: cacheReport(session, policy),
      });
    }
    if (tty) process.stderr.write('> ');
  }
}

export const chatCommand: Command = {
  name: 'chat',
  summary: 'talk with a model turn by turn; the cache carries over, so each turn prefills only its new text',
  flags,
  details: `Reads one message per line from stdin; '/exit' or end of input ends the chat. Models without a
chat template (such as the shipped ones) use the plain-text fallback: a system message, then
"User: ..." and "Assistant: ..." lines.

Examples:
  kvkit chat --system "You tell short stories."
  printf 'Tell me about a cat.\\nAnd a dog?\\n' | kvkit chat --format json --max-tokens 40`,
  run,
};
