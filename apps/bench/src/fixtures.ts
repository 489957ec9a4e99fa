// The reference files the bench suites read by default, found where `pnpm fixtures` put them (../shared,
// else .fixtures/), resolved when a suite needs them so other commands run without them.
import type { FixturePath } from '@kvkit/fixtures';
import { MissingFixtureError, sharedFixture } from '@kvkit/fixtures';
import { UsageError } from 'kvkit/commands';

export function fixture(path: FixturePath): string {
  try {
    return sharedFixture(path);
  } catch (e) {
    if (e instanceof MissingFixtureError) throw new UsageError(e.message);
    throw e;
  }
}

/** The stories260K GGUF, with llama2.c's reference greedy run beside it. */
export const stories260k = (): string => fixture('models/stories260K/stories260K.gguf');
/** llama2.c's reference greedy run of stories260K. */
export const stories260kReference = (): string => fixture('models/stories260K/reference_greedy.json');
export const tinyStories = (): string => fixture('data/tinystories-valid-prefix/tinystories_val.txt');
export const wikiText = (): string => fixture('data/wikitext-2-raw-test/wiki.test.raw');
