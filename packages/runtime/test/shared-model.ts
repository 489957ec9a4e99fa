import { readFileSync } from 'node:fs';
import { sharedFixtureDir } from '@kvkit/fixtures';

/** The stories260K folder: ../shared beside the repository, else .fixtures/ (`pnpm fixtures`). */
export const STORIES = sharedFixtureDir('models/stories260K');

export interface ReferenceGreedy {
  bos: number;
  input_tokens_first3: number[];
  generated_ids: number[];
  text: string;
  logits_first3: number[][];
}

export const reference = JSON.parse(readFileSync(`${STORIES}reference_greedy.json`, 'utf8')) as ReferenceGreedy;
