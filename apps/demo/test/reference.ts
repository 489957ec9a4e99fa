// What @kvkit/runtime generates in Node on the CPU reference backend: the page must show the same.
import { defaultModel } from '@kvkit/models';
import { readShippedText } from '@kvkit/eval/node';
import type { LanguageModel, TextSessionOptions } from '@kvkit/runtime';
import { loadLanguageModel } from '@kvkit/runtime';

let cpu: Promise<LanguageModel> | undefined;

export async function cpuGenerate(prompt: string, maxTokens: number, session: TextSessionOptions = {}): Promise<{ text: string; bytesUsed: number; fullBytes: number }> {
  cpu ??= loadLanguageModel(defaultModel, { backend: 'cpu' });
  const model = await cpu;
  const s = model.createSession(session);
  try {
    const r = await s.generate(prompt, { maxTokens, temperature: 0 }).text();
    return { text: r.text, bytesUsed: s.stats().bytesUsed, fullBytes: s.session.cache.bytesAt(s.session.position) };
  } finally {
    s.dispose();
  }
}

/** A prompt of a few hundred tokens: the held-out text up to a sentence end. */
export function longPrompt(chars = 700): string {
  const t = readShippedText().slice(0, chars);
  return t.slice(0, t.lastIndexOf('.') + 1);
}
