// Properties of the readers over generated files (fast-check, shrinking to the smallest failing file):
// valid files round-trip, hostile headers end in a typed error without a large allocation, and whatever
// a reader accepts satisfies the format's own invariants (ranges inside the file, disjoint, sized right).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostTensor } from '@kvkit/tensor';
import { KvkitError, byteSize, numel } from '@kvkit/tensor';
import type { AllocationRecord } from '@kvkit/fuzz';
import { ALLOCATION_SLACK, ggufLayout, measureAllocations, writtenGguf } from '@kvkit/fuzz';
import type { GgufValue } from '../src/index.js';
import * as loaders from '../src/index.js';
import { MalformedFileError, readGguf, readLlama2c, readSafetensors, readTok512, writeGguf } from '../src/index.js';
import { fuzzSeedFiles } from './fuzz-seeds.js';

const RUNS = { numRuns: 300 };

/** Runs `read` and returns 'ok' or the typed error; fails on any other exception or an oversize allocation. */
async function typedOutcome(bytes: Uint8Array, read: (b: Uint8Array) => unknown): Promise<'ok' | KvkitError> {
  const record: AllocationRecord = { bytes: 0, arrayLength: 0 };
  let outcome: 'ok' | KvkitError = 'ok';
  try {
    await measureAllocations(() => read(bytes), record);
  } catch (e) {
    if (!(e instanceof KvkitError)) throw new Error(`untyped ${String(e)}`, { cause: e });
    outcome = e;
  }
  expect(Math.max(record.bytes, record.arrayLength)).toBeLessThanOrEqual(bytes.length + ALLOCATION_SLACK);
  return outcome;
}

// GGUF ---------------------------------------------------------------------------------------------------

const scalar: fc.Arbitrary<GgufValue> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((value) => ({ type: 'u8' as const, value })),
  fc.integer({ min: -128, max: 127 }).map((value) => ({ type: 'i8' as const, value })),
  fc.integer({ min: 0, max: 0xffffffff }).map((value) => ({ type: 'u32' as const, value })),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((value) => ({ type: 'i32' as const, value })),
  fc.float().map((value) => ({ type: 'f32' as const, value })),
  fc.double().map((value) => ({ type: 'f64' as const, value })),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((value) => ({ type: 'u64' as const, value })),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((value) => ({ type: 'i64' as const, value })),
  fc.boolean().map((value) => ({ type: 'bool' as const, value })),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((value) => ({ type: 'string' as const, value })),
  fc.array(fc.integer({ min: -0x80000000, max: 0x7fffffff }), { maxLength: 8 }).map((value) => ({ type: 'array' as const, itemType: 'i32' as const, value })),
  fc.array(fc.string({ maxLength: 6 }), { maxLength: 6 }).map((value) => ({ type: 'array' as const, itemType: 'string' as const, value })),
);

const tensor: fc.Arbitrary<HostTensor> = fc
  .record({ dtype: fc.constantFrom('f32', 'f16', 'bf16', 'q8_0', 'q4_0'), rows: fc.integer({ min: 1, max: 3 }), blocks: fc.integer({ min: 1, max: 2 }), seed: fc.integer() })
  .map(({ dtype, rows, blocks, seed }) => {
    const shape = [rows, 32 * blocks];
    const data = new Uint8Array(byteSize(dtype, numel(shape)));
    for (let i = 0; i < data.length; i++) data[i] = (seed * 31 + i * 17) & 0xff;
    return { dtype, shape, data };
  });

const ggufInput = fc.record({
  metadata: fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), scalar), { selector: ([k]) => k, maxLength: 6 }),
  tensors: fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), tensor), { selector: ([k]) => k, maxLength: 4 }),
});

describe('GGUF properties', () => {
  it('readGguf(writeGguf(x)) gives back every metadata value and tensor byte', () => {
    fc.assert(
      fc.property(ggufInput, ({ metadata, tensors }) => {
        const meta = metadata.filter(([k]) => k !== 'general.alignment');
        const file = readGguf(writeGguf({ metadata: meta, tensors }));
        expect([...file.metadata]).toEqual(meta);
        expect([...file.tensors.keys()]).toEqual(tensors.map(([k]) => k));
        for (const [name, t] of tensors) {
          const got = file.tensors.get(name)!;
          expect([got.dtype, got.shape]).toEqual([t.dtype, t.shape]);
          expect(Buffer.from(got.data).equals(Buffer.from(t.data))).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('a hostile header (any counts, lengths, types, dims, offsets) is a typed error or a file whose tensors lie inside it', async () => {
    const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 64n }), fc.constantFrom(0xffffffffn, 1n << 53n, (1n << 63n) - 1n, (1n << 64n) - 1n));
    const record = fc.oneof(
      fc.tuple(fc.constant('str' as const), u64, fc.string({ maxLength: 6 })),
      fc.tuple(fc.constant('u32' as const), fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(0xffffffff))),
      fc.tuple(fc.constant('u64' as const), u64),
      fc.tuple(fc.constant('raw' as const), fc.uint8Array({ maxLength: 40 })),
    );
    await fc.assert(
      fc.asyncProperty(u64, u64, fc.array(record, { maxLength: 30 }), async (tensors, kvs, records) => {
        const parts: Uint8Array[] = [Uint8Array.of(0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0)];
        const le = (v: bigint, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
        parts.push(le(tensors, 8), le(kvs, 8));
        for (const r of records) {
          if (r[0] === 'str') parts.push(le(r[1], 8), new TextEncoder().encode(r[2]));
          else if (r[0] === 'u32') parts.push(le(BigInt(r[1]), 4));
          else if (r[0] === 'u64') parts.push(le(r[1], 8));
          else parts.push(r[1]);
        }
        const bytes = new Uint8Array(Buffer.concat(parts));
        const outcome = await typedOutcome(bytes, readGguf);
        if (outcome === 'ok') {
          for (const t of readGguf(bytes).tensors.values()) expect(t.fileOffset + t.data.length).toBeLessThanOrEqual(bytes.length);
        }
      }),
      RUNS,
    );
  });

  it('the written Q8_0/Q4_0 file with a chat template, cut at every header boundary and every header byte: a MalformedFileError', async () => {
    const bytes = writtenGguf(loaders, fuzzSeedFiles().storiesGguf);
    const layout = ggufLayout(bytes);
    const dataStart = Math.max(...layout.boundaries);
    expect(loaders.readLlamaGguf(bytes).chatTemplate?.template).toMatch(/assistant/);
    const cuts = new Set([...layout.boundaries, ...Array.from({ length: dataStart }, (_, i) => i)]);
    for (const cut of cuts) {
      const outcome = await typedOutcome(bytes.subarray(0, cut), readGguf);
      expect(outcome, `cut at ${cut}`).toBeInstanceOf(MalformedFileError);
    }
  });
});

// safetensors ----------------------------------------------------------------------------------------------

describe('safetensors properties', () => {
  const entry = fc.record(
    {
      dtype: fc.constantFrom('F32', 'F16', 'BF16', 'I8', 'Q4', 7),
      shape: fc.array(fc.oneof(fc.integer({ min: 0, max: 16 }), fc.constantFrom(-1, 2 ** 40, 2 ** 53, 0.5)), { maxLength: 4 }),
      data_offsets: fc.tuple(fc.integer({ min: -4, max: 600 }), fc.integer({ min: -4, max: 600 })),
    },
    { requiredKeys: [] },
  );
  it('an accepted file has every tensor sized dtype x shape, inside the data section, none overlapping', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.oneof(entry, fc.jsonValue({ maxDepth: 2 }))), fc.integer({ min: 0, max: 600 }), async (header, dataLen) => {
        const json = new TextEncoder().encode(JSON.stringify(header));
        const bytes = new Uint8Array(8 + json.length + dataLen);
        new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
        bytes.set(json, 8);
        if ((await typedOutcome(bytes, readSafetensors)) !== 'ok') return;
        const ranges = [...readSafetensors(bytes).tensors].map(([name, t]) => {
          const e = (header as Record<string, { data_offsets: [number, number] }>)[name]!;
          expect(t.data.length).toBe(byteSize(t.dtype, numel(t.shape)));
          expect(e.data_offsets[1]).toBeLessThanOrEqual(dataLen);
          return e.data_offsets;
        });
        ranges.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < ranges.length; i++) {
          const [b0, e0] = ranges[i - 1]!;
          const [b1, e1] = ranges[i]!;
          if (e0 > b0 && e1 > b1) expect(b1).toBeGreaterThanOrEqual(e0);
        }
      }),
      RUNS,
    );
  });
});

// llama2.c and tok512 --------------------------------------------------------------------------------------

describe('llama2.c and tokenizer.bin properties', () => {
  it('any seven header ints: a typed error, or a file of exactly the size the header describes', async () => {
    const dim = fc.oneof(fc.integer({ min: -2, max: 70 }), fc.constantFrom(0x7fffffff, -0x80000000, 65536, 1 << 20));
    await fc.assert(
      fc.asyncProperty(fc.array(dim, { minLength: 7, maxLength: 7 }), fc.integer({ min: 0, max: 4096 }), async (header, body) => {
        const bytes = new Uint8Array(28 + 4 * body);
        header.forEach((v, i) => new DataView(bytes.buffer).setInt32(4 * i, v, true));
        const outcome = await typedOutcome(bytes, readLlama2c);
        if (outcome !== 'ok') return;
        const { config } = readLlama2c(bytes);
        expect(config.dim % config.nHeads).toBe(0);
        expect(config.nHeads % config.nKvHeads).toBe(0);
      }),
      RUNS,
    );
  });

  it('any bytes and vocabulary size: a typed error, or exactly that many tokens', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), fc.oneof(fc.integer({ min: -1, max: 40 }), fc.constantFrom(2 ** 31, 2 ** 53, NaN)), async (bytes, vocab) => {
        const outcome = await typedOutcome(bytes, (b) => readTok512(b, vocab));
        if (outcome === 'ok') expect(readTok512(bytes, vocab).vocabSize).toBe(vocab);
      }),
      RUNS,
    );
  });
});
