// The KV cache's part of a snapshot: per source layer and KV head, the logical slots (positions,
// run-length coded) and the stored bytes of exactly the tokens held, in the cache's own encoding.
import type { Backend, KiviFormat, KvDtype, Tensor } from '@kvkit/tensor';
import { DEAD_POSITION, encode, int8Layout, kiviBits, kiviCodeBytes, kiviValueGroups, KV_DTYPES } from '@kvkit/tensor';
import type { CacheLayoutKind, KvCache, KvCacheImage, KvCacheOptions } from '../kv-cache.js';
import { cacheGeometry } from '../kv-cache.js';
import type { LayerKv } from '../layouts/layer-kv.js';
import { ByteReader, ByteWriter } from './byte-io.js';
import { SnapshotMalformedError } from './snapshot-errors.js';

/** What the header says about the cache; `lengths` etc. are per source layer (ascending), per KV head. */
export interface CacheSnapshotHeader {
  readonly layout: CacheLayoutKind;
  readonly pageSize: number;
  readonly kvDtype: KvDtype;
  /** KIVI group and residual (null for the other dtypes). */
  readonly kivi: { readonly group: number; readonly residual: number } | null;
  readonly nLayers: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly kvSource: readonly number[];
  readonly maxTokens: number;
  /** Logical slots of each head (KIVI: evicted holes included). */
  readonly lengths: readonly (readonly number[])[];
  /** KIVI: slots [0, keyQuantized) hold 2/4-bit keys, [0, valueQuantized) 2/4-bit values; ring row of slot j is (j + ringBase) % residual. */
  readonly keyQuantized?: readonly (readonly number[])[];
  readonly valueQuantized?: readonly (readonly number[])[];
  readonly ringBase?: readonly (readonly number[])[];
  /** `stats().bytesUsed` when the snapshot was taken; a restore must reproduce it. */
  readonly bytesUsed: number;
  /** Bytes of the two payload parts: run-length coded positions, then the K/V bytes. */
  readonly positionsBytes: number;
  readonly kvBytes: number;
}

interface RowSizes {
  readonly k: number;
  readonly v: number;
  /** KIVI: bytes of one key group's parameters (d x f16 scale, f16 min). */
  readonly keyParams: number;
  /** KIVI: bytes of one f16 residual row. */
  readonly ring: number;
}

function rowSizes(dtype: KvDtype, d: number, group: number): RowSizes {
  const bits = kiviBits(dtype);
  if (bits) {
    const codes = kiviCodeBytes(d, bits);
    return { k: codes, v: codes + 4 * kiviValueGroups(d, group), keyParams: 4 * d, ring: 2 * d };
  }
  if (dtype === 'int8') return { k: int8Layout(d).slotBytes, v: int8Layout(d).slotBytes, keyParams: 0, ring: 0 };
  const row = dtype === 'f32' ? 4 * d : 2 * d;
  return { k: row, v: row, keyParams: 0, ring: 0 };
}

/** Raw bytes of a tensor in its storage encoding (backends read back f32; every storage dtype round-trips exactly). */
async function rawBytes(backend: Backend, t: Tensor): Promise<Uint8Array> {
  return encode(t.dtype, await backend.read(t));
}

function rawPositions(kv: LayerKv, h: number): Int32Array {
  const base = h * kv.capacitySlots;
  return kv.view.positions.subarray(base, base + kv.view.lengths[h]!);
}

/** Positions as runs: (start, count) pairs of consecutive positions; a run of holes is (DEAD_POSITION, count). */
function writeRuns(w: ByteWriter, pos: Int32Array): void {
  for (let i = 0; i < pos.length; ) {
    const start = pos[i]!;
    let n = 1;
    const step = start === DEAD_POSITION ? 0 : 1;
    while (i + n < pos.length && pos[i + n] === start + step * n) n++;
    w.varint(start);
    w.varint(n);
    i += n;
  }
}

/**
 * Reads the stored bytes of every token the cache holds. Row formats: each head's K rows then V rows
 * in logical order. KIVI: 2/4-bit key codes of live quantised slots, the parameters of each key group
 * with a live token, the f16 key residual rows of every unquantised slot (an evicted one still enters
 * its group's min/max when the group is quantised), 2/4-bit value rows of live quantised slots, and
 * the f16 value residual rows of live unquantised slots.
 */
export async function captureCache(cache: KvCache, backend: Backend): Promise<{ header: CacheSnapshotHeader; payload: Uint8Array }> {
  const pool = cache.pool;
  const d = cache.headDim;
  const sources = cache.sourceLayers;
  const kivi = kiviBits(cache.kvDtype) !== undefined;
  const sizes = rowSizes(cache.kvDtype, d, pool.group);
  const poolK = await rawBytes(backend, pool.k);
  const poolV = await rawBytes(backend, pool.v);
  const params = kivi ? await rawBytes(backend, pool.keyParams!) : undefined;
  const positions = new ByteWriter();
  const data = new ByteWriter();
  const per = (f: (kv: LayerKv, h: number) => number) => sources.map((s) => Array.from({ length: cache.nKvHeads }, (_, h) => f(cache.layer(s), h)));
  for (const s of sources) {
    const kv = cache.layer(s);
    const f = kv.view.format as KiviFormat | undefined;
    const rings = kivi ? { k: await rawBytes(backend, f!.residualK), v: await rawBytes(backend, f!.residualV) } : undefined;
    for (let h = 0; h < cache.nKvHeads; h++) {
      const pos = rawPositions(kv, h);
      writeRuns(positions, pos);
      const row = (img: Uint8Array, size: number, at: number) => data.bytes(img.subarray(at * size, (at + 1) * size));
      if (!kivi) {
        for (let j = 0; j < pos.length; j++) row(poolK, sizes.k, kv.slotOf(h, j));
        for (let j = 0; j < pos.length; j++) row(poolV, sizes.v, kv.slotOf(h, j));
        continue;
      }
      const { keyQuantized: kq, valueQuantized: vq, ringBase, residual: R, group: G } = f!;
      const live = (j: number) => pos[j] !== DEAD_POSITION;
      const ringRow = (j: number) => h * R + ((j + ringBase[h]!) % R);
      for (let j = 0; j < kq[h]!; j++) if (live(j)) row(poolK, sizes.k, kv.slotOf(h, j));
      for (let g = 0; g * G < kq[h]!; g++) {
        let any = false;
        for (let j = g * G; j < (g + 1) * G && !any; j++) any = live(j);
        if (any) row(params!, sizes.keyParams, kv.slotOf(h, g * G) / G);
      }
      for (let j = kq[h]!; j < pos.length; j++) row(rings!.k, sizes.ring, ringRow(j));
      for (let j = 0; j < vq[h]!; j++) if (live(j)) row(poolV, sizes.v, kv.slotOf(h, j));
      for (let j = vq[h]!; j < pos.length; j++) if (live(j)) row(rings!.v, sizes.ring, ringRow(j));
    }
  }
  const kiviOf = (k: 'keyQuantized' | 'valueQuantized' | 'ringBase') => per((kv, h) => (kv.view.format as KiviFormat)[k][h]!);
  const posBytes = positions.finish();
  const kvBytes = data.finish();
  const payload = new Uint8Array(posBytes.length + kvBytes.length);
  payload.set(posBytes);
  payload.set(kvBytes, posBytes.length);
  const header: CacheSnapshotHeader = {
    layout: cache.layout,
    pageSize: pool.pageSize,
    kvDtype: cache.kvDtype,
    kivi: kivi ? { group: pool.group, residual: (cache.layer(sources[0]!).view.format as KiviFormat).residual } : null,
    nLayers: cache.nLayers,
    nKvHeads: cache.nKvHeads,
    headDim: d,
    kvSource: [...cache.kvSource],
    maxTokens: cache.layer(sources[0]!).capacity,
    lengths: per((kv, h) => kv.view.lengths[h]!),
    ...(kivi ? { keyQuantized: kiviOf('keyQuantized'), valueQuantized: kiviOf('valueQuantized'), ringBase: kiviOf('ringBase') } : {}),
    bytesUsed: cache.stats().bytesUsed,
    positionsBytes: posBytes.length,
    kvBytes: kvBytes.length,
  };
  return { header, payload };
}

export interface CacheRestorePlan {
  /** Options for the new cache (with its initial storage). */
  readonly options: KvCacheOptions;
  /** Puts the snapshot's page tables, lengths, positions and KIVI counters into the new cache. */
  apply(cache: KvCache): void;
}

const isInt = (x: unknown, min = 0): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;

/** Checks that a header value is a [sources][nKvHeads] table of integers. */
function table(v: unknown, sources: number, heads: number, what: string): number[][] {
  if (!(Array.isArray(v) && v.length === sources && v.every((r) => Array.isArray(r) && r.length === heads && r.every((x) => isInt(x))))) {
    throw new SnapshotMalformedError(`snapshot cache header: ${what} must be ${sources} x ${heads} non-negative integers`);
  }
  return v as number[][];
}

/**
 * Builds the storage of a cache from a snapshot's cache header and payload: the pool image with each
 * head's pages numbered in the order a fresh pool hands them out, and the step that maps them.
 */
export function planCacheRestore(h: CacheSnapshotHeader, payload: Uint8Array): CacheRestorePlan {
  const bad = (m: string) => new SnapshotMalformedError(`snapshot cache header: ${m}`);
  if (h.layout !== 'contiguous' && h.layout !== 'paged') throw bad(`unknown layout ${String(h.layout)}`);
  if (!KV_DTYPES.includes(h.kvDtype)) throw bad(`unknown KV dtype ${String(h.kvDtype)}`);
  for (const k of ['pageSize', 'nLayers', 'nKvHeads', 'headDim', 'maxTokens'] as const) if (!isInt(h[k], 1)) throw bad(`${k} must be a positive integer`);
  for (const k of ['bytesUsed', 'positionsBytes', 'kvBytes'] as const) if (!isInt(h[k])) throw bad(`${k} must be a non-negative integer`);
  if (!(Array.isArray(h.kvSource) && h.kvSource.length === h.nLayers && h.kvSource.every((s, l) => isInt(s) && s <= l))) throw bad('kvSource does not fit nLayers');
  const bits = kiviBits(h.kvDtype);
  if (bits && !(h.kivi && isInt(h.kivi.group, 1) && isInt(h.kivi.residual, 1))) throw bad('a KIVI cache needs kivi.group and kivi.residual');
  if (h.positionsBytes + h.kvBytes !== payload.length) throw bad(`payload of ${payload.length} bytes, header says ${h.positionsBytes} + ${h.kvBytes}`);
  const options: Omit<KvCacheOptions, 'image'> = {
    nLayers: h.nLayers,
    nKvHeads: h.nKvHeads,
    headDim: h.headDim,
    kvSource: h.kvSource,
    maxTokens: h.maxTokens,
    layout: h.layout,
    pageSize: h.pageSize,
    kvDtype: h.kvDtype,
    ...(bits ? { kivi: { group: h.kivi!.group, residual: h.kivi!.residual } } : {}),
  };
  const geo = cacheGeometry(options);
  if (geo.pageSize !== h.pageSize) throw bad(`page size ${h.pageSize} does not match the layout's ${geo.pageSize}`);
  const S = geo.sources.length;
  const H = h.nKvHeads;
  const d = h.headDim;
  const capSlots = geo.pagesPerHead * geo.pageSize;
  const lengths = table(h.lengths, S, H, 'lengths');
  const kq = bits ? table(h.keyQuantized, S, H, 'keyQuantized') : undefined;
  const vq = bits ? table(h.valueQuantized, S, H, 'valueQuantized') : undefined;
  const rb = bits ? table(h.ringBase, S, H, 'ringBase') : undefined;
  const G = h.kivi?.group ?? 32;
  const R = h.kivi?.residual ?? 0;

  // Positions.
  const posReader = new ByteReader(payload.subarray(0, h.positionsBytes));
  const positions = lengths.map((row) =>
    row.map((len) => {
      if (len > capSlots) throw bad(`a head holds ${len} slots, more than its capacity ${capSlots}`);
      const out = new Int32Array(len);
      for (let j = 0; j < len; ) {
        const start = posReader.varint('positions');
        const n = posReader.varint('positions');
        if (!(n >= 1 && j + n <= len && (start === DEAD_POSITION || start + n <= h.maxTokens))) throw bad('a positions run does not fit its head');
        for (let i = 0; i < n; i++) out[j + i] = start === DEAD_POSITION ? DEAD_POSITION : start + i;
        j += n;
      }
      return out;
    }),
  );
  if (posReader.remaining) throw bad('positions continue past the last head');
  if (bits) {
    for (let i = 0; i < S; i++) {
      for (let hh = 0; hh < H; hh++) {
        const len = lengths[i]![hh]!;
        const k = kq![i]![hh]!;
        const v = vq![i]![hh]!;
        if (!(k <= len && v <= len && k % G === 0 && len - k <= R && len - v <= R && rb![i]![hh]! < R)) throw bad(`KIVI counters of layer ${geo.sources[i]} head ${hh} are inconsistent`);
      }
    }
  }

  // Physical pages in the order a fresh pool hands them out: contiguous layouts take every page of
  // every head when the cache is built, paged layouts the pages each head needs, in restore order.
  const paged = h.layout === 'paged';
  let next = 0;
  const pages = lengths.map((row) => row.map((len) => Array.from({ length: paged ? Math.ceil(len / geo.pageSize) : geo.pagesPerHead }, () => next++)));
  if (next > geo.pages) throw bad(`the heads need ${next} pages, the pool has ${geo.pages}`);
  const slotOf = (i: number, hh: number, j: number) => pages[i]![hh]![Math.floor(j / geo.pageSize)]! * geo.pageSize + (j % geo.pageSize);

  // Storage image.
  const sizes = rowSizes(h.kvDtype, d, G);
  const rows = geo.pages * geo.pageSize;
  const img = { k: new Uint8Array(rows * sizes.k), v: new Uint8Array(rows * sizes.v), ...(bits ? { keyParams: new Uint8Array((rows / G) * sizes.keyParams) } : {}) };
  const rings = new Map<number, { k: Uint8Array; v: Uint8Array }>();
  const data = new ByteReader(payload.subarray(h.positionsBytes));
  const put = (dst: Uint8Array, size: number, at: number, what: string) => dst.set(data.bytes(size, what), at * size);
  geo.sources.forEach((s, i) => {
    const ring = bits ? { k: new Uint8Array(H * R * sizes.ring), v: new Uint8Array(H * R * sizes.ring) } : undefined;
    if (ring) rings.set(s, ring);
    for (let hh = 0; hh < H; hh++) {
      const pos = positions[i]![hh]!;
      const len = pos.length;
      if (!bits) {
        for (let j = 0; j < len; j++) put(img.k, sizes.k, slotOf(i, hh, j), 'keys');
        for (let j = 0; j < len; j++) put(img.v, sizes.v, slotOf(i, hh, j), 'values');
        continue;
      }
      const live = (j: number) => pos[j] !== DEAD_POSITION;
      const ringRow = (j: number) => hh * R + ((j + rb![i]![hh]!) % R);
      const k = kq![i]![hh]!;
      const v = vq![i]![hh]!;
      for (let j = 0; j < k; j++) if (live(j)) put(img.k, sizes.k, slotOf(i, hh, j), 'key codes');
      for (let g = 0; g * G < k; g++) {
        let any = false;
        for (let j = g * G; j < (g + 1) * G && !any; j++) any = live(j);
        if (any) put(img.keyParams!, sizes.keyParams, slotOf(i, hh, g * G) / G, 'key group parameters');
      }
      for (let j = k; j < len; j++) put(ring!.k, sizes.ring, ringRow(j), 'key residual');
      for (let j = 0; j < v; j++) if (live(j)) put(img.v, sizes.v, slotOf(i, hh, j), 'value codes');
      for (let j = v; j < len; j++) if (live(j)) put(ring!.v, sizes.ring, ringRow(j), 'value residual');
    }
  });
  if (data.remaining) throw bad(`${data.remaining} K/V bytes left after the last head`);
  const image: KvCacheImage = { pool: img, ...(bits ? { rings } : {}) };

  return {
    options: { ...options, image },
    apply(cache: KvCache): void {
      geo.sources.forEach((s, i) => {
        const kv = cache.layer(s);
        const view = kv.view;
        for (let hh = 0; hh < H; hh++) {
          const want = pages[i]![hh]!;
          want.forEach((page, p) => {
            const at = hh * kv.pagesPerHead + p;
            const got = paged ? (view.pageTable[at] = cache.pool.alloc()) : view.pageTable[at];
            // The image was laid out for this order: a pool that hands pages out otherwise is a bug here.
            if (got !== page) throw new Error(`snapshot restore: page ${p} of layer ${s} head ${hh} is pool page ${got}, expected ${page}`);
          });
          view.positions.set(positions[i]![hh]!, hh * kv.capacitySlots);
          view.lengths[hh] = lengths[i]![hh]!;
          if (bits) {
            const f = view.format as KiviFormat;
            f.keyQuantized[hh] = kq![i]![hh]!;
            f.valueQuantized[hh] = vq![i]![hh]!;
            f.ringBase[hh] = rb![i]![hh]!;
          }
        }
      });
      const used = cache.stats().bytesUsed;
      if (used !== h.bytesUsed) throw bad(`restored cache holds ${used} bytes, the snapshot says ${h.bytesUsed}`);
    },
  };
}
