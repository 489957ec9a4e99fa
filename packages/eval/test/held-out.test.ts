import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFixture } from '@kvkit/fixtures';
import { heldOutText, SHIPPED_TEXT, textSplit } from '../src/index.js';
import { readShippedText, SHIPPED_TEXT_PATH } from '../src/node.js';

const original = readFileSync(sharedFixture('data/tinystories-valid-prefix/tinystories_val.txt'), 'utf8');

describe('held-out text', () => {
  it('holds out the text after the first paragraph break past 90 %', () => {
    const held = heldOutText(original);
    const cut = original.length - held.length;
    expect(original.slice(cut - 2, cut)).toBe('\n\n');
    expect(cut).toBeGreaterThanOrEqual(0.9 * original.length);
    expect(original.slice(Math.floor(0.9 * original.length), cut - 2)).not.toContain('\n\n');
    expect(heldOutText('no break at all')).toBe('');
    expect(textSplit(original, 'all')).toBe(original);
  });

  it('ships exactly the held-out part of the TinyStories prefix, under 200 KB, as described', () => {
    const shipped = readShippedText();
    expect(shipped).toBe(heldOutText(original));
    const bytes = readFileSync(SHIPPED_TEXT_PATH);
    expect(bytes.length).toBe(SHIPPED_TEXT.bytes);
    expect(statSync(SHIPPED_TEXT_PATH).size).toBeLessThan(200_000);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(SHIPPED_TEXT.sha256);
  });
});
