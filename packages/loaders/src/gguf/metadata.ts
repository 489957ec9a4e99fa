// Typed reads of GGUF metadata: a key with the wrong type is a malformed file, not a crash later on.
import { MalformedFileError } from '../errors.js';
import type { GgufArrayItem, GgufValue } from './value.js';

export type GgufMetadata = ReadonlyMap<string, GgufValue>;

function wrongType(key: string, v: GgufValue, want: string): never {
  throw new MalformedFileError(`GGUF metadata '${key}' is ${v.type}, expected ${want}`);
}

function missing(key: string): never {
  throw new MalformedFileError(`GGUF metadata '${key}' is missing`);
}

/** A non-negative integer of any integer type (u8..u64, i8..i64) that fits a safe integer. */
export function metaUint(meta: GgufMetadata, key: string, fallback?: number): number {
  const v = meta.get(key);
  if (v === undefined) return fallback ?? missing(key);
  let n: number | bigint;
  switch (v.type) {
    case 'u8':
    case 'i8':
    case 'u16':
    case 'i16':
    case 'u32':
    case 'i32':
    case 'u64':
    case 'i64':
      n = v.value;
      break;
    default:
      return wrongType(key, v, 'an integer');
  }
  if (n < 0 || n > Number.MAX_SAFE_INTEGER) throw new MalformedFileError(`GGUF metadata '${key}' = ${n} is out of range`);
  return Number(n);
}

/** The shortest decimal that rounds to the same float32, so an f32 1e-5 reads as 1e-5, not 9.99999974e-6. */
export function shortestF32(x: number): number {
  const f = Math.fround(x);
  for (let digits = 1; digits <= 9; digits++) {
    const s = Number(f.toPrecision(digits));
    if (Math.fround(s) === f) return s;
  }
  return f;
}

/** A float (f32/f64; integers accepted too, as some converters write them). f32 values go through shortestF32. */
export function metaFloat(meta: GgufMetadata, key: string, fallback?: number): number {
  const v = meta.get(key);
  if (v === undefined) return fallback ?? missing(key);
  switch (v.type) {
    case 'f32':
      return shortestF32(v.value);
    case 'bool':
    case 'string':
    case 'array':
      return wrongType(key, v, 'a number');
    default:
      return Number(v.value);
  }
}

export function metaString(meta: GgufMetadata, key: string): string | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (v.type !== 'string') return wrongType(key, v, 'a string');
  return v.value;
}

export function metaBool(meta: GgufMetadata, key: string, fallback: boolean): boolean {
  const v = meta.get(key);
  if (v === undefined) return fallback;
  if (v.type !== 'bool') return wrongType(key, v, 'a bool');
  return v.value;
}

/** Items of an array whose items are all of one JS kind ('string' or 'number'; 64-bit integers become numbers). */
export function metaArray(meta: GgufMetadata, key: string, kind: 'string'): string[] | undefined;
export function metaArray(meta: GgufMetadata, key: string, kind: 'number'): number[] | undefined;
export function metaArray(meta: GgufMetadata, key: string, kind: 'string' | 'number'): (string | number)[] | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (v.type !== 'array') return wrongType(key, v, `an array of ${kind}s`);
  const ok = kind === 'string' ? v.itemType === 'string' : !['string', 'bool', 'array'].includes(v.itemType);
  if (!ok) throw new MalformedFileError(`GGUF metadata '${key}' is an array of ${v.itemType}, expected ${kind}s`);
  if (kind === 'string') return v.value as string[];
  return (v.value as readonly GgufArrayItem[]).map((x) => Number(x));
}
