// Structure-aware mutations of a JSON document: a value replaced by one of the wrong type or an absurd size,
// a key removed or duplicated, deep nesting, then (sometimes) a byte-level edit of the text.
import type { Prng } from './prng.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Text spliced in raw after serialising (JSON.stringify cannot write these). */
const RAW = ['1e999', '-1e999', '1e308', '-0', '9007199254740993', '18446744073709551616', '0.5', '-1', '4294967296', '1e-400'];
const MARK = '\u0000raw:';

function interesting(rng: Prng): Json {
  switch (rng.int(12)) {
    case 0:
      return MARK + rng.pick(RAW);
    case 1:
      return null;
    case 2:
      return rng.chance(0.5);
    case 3:
      return rng.pick(['', 'x', '<0xZZ>', '\ud800', 'a'.repeat(1 + rng.int(4096)), 'default', 'full_attention', 'ByteLevel']);
    case 4:
      return [];
    case 5:
      return {};
    case 6:
      return Array.from({ length: 1 + rng.int(64) }, (_, i) => (rng.chance(0.5) ? i : rng.int(1 << 20)));
    case 7: {
      // Nesting far deeper than any real file (as raw text: JSON.stringify itself would overflow the stack).
      const d = 1 + rng.int(5000);
      return MARK + '['.repeat(d) + '0' + ']'.repeat(d);
    }
    case 8:
      return rng.pick([0, 1, 2, 3, 7, 8, 32, 255, 256, 65536, 2 ** 31, 2 ** 32, 2 ** 53 - 1, -(2 ** 31)]);
    case 9:
      return -1 - rng.int(100);
    case 10:
      return { type: rng.pick(['BPE', 'WordPiece', 'Unigram', 'Sequence', 'ByteLevel', 'Replace', 'Metaspace', 'x']) };
    default:
      return rng.int(1 << 30);
  }
}

interface Slot {
  readonly parent: Json[] | { [k: string]: Json };
  readonly key: string | number;
}

function slots(v: Json, out: Slot[], depth = 0): Slot[] {
  if (depth > 64 || v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) {
    // Long arrays (a vocabulary) are sampled, not walked whole.
    const step = Math.max(1, Math.floor(v.length / 64));
    for (let i = 0; i < v.length; i += step) {
      out.push({ parent: v, key: i });
      slots(v[i]!, out, depth + 1);
    }
  } else {
    const keys = Object.keys(v);
    const step = Math.max(1, Math.floor(keys.length / 64));
    for (let i = 0; i < keys.length; i += step) {
      out.push({ parent: v, key: keys[i]! });
      slots(v[keys[i]!]!, out, depth + 1);
    }
  }
  return out;
}

function get(s: Slot): Json {
  return (s.parent as Record<string | number, Json>)[s.key]!;
}

function mutateValue(doc: Json, rng: Prng): Json {
  const all = slots(doc, []);
  if (all.length === 0) return interesting(rng);
  const s = rng.pick(all);
  const parent = s.parent as Record<string | number, Json>;
  switch (rng.int(8)) {
    case 0:
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
      else delete parent[s.key];
      break;
    case 1: {
      // The same value under a second place: duplicated vocabulary entries, tensors sharing a name.
      const other = rng.pick(all);
      parent[s.key] = structuredClone(get(other));
      break;
    }
    case 2: {
      const v = get(s);
      if (typeof v === 'number') parent[s.key] = rng.pick([v + 1, v - 1, v * 2, -v, v * 1024, v + 2 ** 32]);
      else parent[s.key] = interesting(rng);
      break;
    }
    default:
      parent[s.key] = interesting(rng);
  }
  return doc;
}

function serialise(doc: Json): string {
  return JSON.stringify(doc).replace(/"\\u0000raw:([^"]*)"/g, '$1');
}

/** Text edits a parser must survive: a cut, a stray byte, a key written twice. */
function mutateText(text: string, rng: Prng): string {
  const at = rng.int(text.length + 1);
  switch (rng.int(4)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + rng.pick(['"', ',', '{', '}', '[', ']', ':', '\\', '\u0000', 'NaN', '\ud800']) + text.slice(at);
    case 2: {
      // Duplicate the first key of the object that opens here.
      const m = /^\{\s*("[^"]*"\s*:\s*(?:-?[0-9.eE+]+|"[^"]*"|true|false|null))/.exec(text.slice(at));
      return m ? text.slice(0, at) + '{' + m[1] + ',' + text.slice(at + 1) : text;
    }
    default:
      return text.slice(0, at) + text.slice(at + 1 + rng.int(16));
  }
}

/** A mutated copy of the UTF-8 JSON document `bytes` (which must parse). */
export function mutateJson(bytes: Uint8Array, rng: Prng, parsed?: unknown): Uint8Array {
  let doc = structuredClone((parsed ?? JSON.parse(new TextDecoder().decode(bytes))) as Json);
  const n = 1 + (rng.chance(0.6) ? 0 : rng.int(4));
  for (let i = 0; i < n; i++) doc = mutateValue(doc, rng);
  let text = serialise(doc);
  if (rng.chance(0.2)) text = mutateText(text, rng);
  return new TextEncoder().encode(text);
}

/** A safetensors file with its JSON header mutated (data kept; the length field fits the new header, mostly). */
export function mutateSafetensorsHeader(bytes: Uint8Array, rng: Prng): Uint8Array {
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = bytes.subarray(8, 8 + headerLen);
  const json = mutateJson(header, rng);
  const data = bytes.subarray(8 + headerLen);
  const out = new Uint8Array(8 + json.length + data.length);
  const len = rng.chance(0.9) ? json.length : json.length + rng.int(17) - 8;
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, len)), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
