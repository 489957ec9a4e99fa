// What @kvkit/runtime generates in Node on the CPU reference backend: the page must show the same.
import { defaultModel } from '@kvkit/models';
import { readShippedText } from '@kvkit/eval/node';
import type { LanguageModel, TextSessionOptions } from '@kvkit/runtime';
import { loadLanguageModel } from '@kvkit/runtime';

const models = new Map<string, Promise<LanguageModel>>();

/** Greedy text and cache bytes of `source` (default: the shipped default model; or a file path). */
export async function cpuGenerate(prompt: string, maxTokens: number, session: TextSessionOptions = {}, source?: string): Promise<{ text: string; tokens: readonly number[]; bytesUsed: number; fullBytes: number }> {
  const key = source ?? 'default';
  if (!models.has(key)) models.set(key, loadLanguageModel(source ?? defaultModel, { backend: 'cpu' }));
  const model = await models.get(key)!;
  const s = model.createSession(session);
  try {
    const r = await s.generate(prompt, { maxTokens, temperature: 0 }).text();
    return { text: r.text, tokens: r.tokens, bytesUsed: s.stats().bytesUsed, fullBytes: s.session.cache.bytesAt(s.session.position) };
  } finally {
    s.dispose();
  }
}

/** A prompt of a few hundred tokens: the held-out text up to a sentence end. */
export function longPrompt(chars = 700): string {
  const t = readShippedText().slice(0, chars);
  return t.slice(0, t.lastIndexOf('.') + 1);
}
