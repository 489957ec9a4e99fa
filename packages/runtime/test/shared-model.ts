import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shared stories260K files, beside the repository (never copied into it). */
export const STORIES = fileURLToPath(new URL('../../../../shared/models/stories260K/', import.meta.url));

export interface ReferenceGreedy {
  bos: number;
  input_tokens_first3: number[];
  generated_ids: number[];
  text: string;
  logits_first3: number[][];
}

export const reference = JSON.parse(readFileSync(`${STORIES}reference_greedy.json`, 'utf8')) as ReferenceGreedy;
