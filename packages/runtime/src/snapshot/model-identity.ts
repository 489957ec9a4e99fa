// A model's identity for snapshots: a 64-bit hash of its config and a cheap digest of its weights, so
// that a cache made with one model is never restored into another.
import type { ModelConfig, ModelWeights } from '@kvkit/loaders';
import type { HostTensor } from '@kvkit/tensor';

/** Tensors up to this size are hashed whole; larger ones by `WINDOWS` windows of `WINDOW` bytes, first and last included. */
const WHOLE = 64 * 1024;
const WINDOWS = 16;
const WINDOW = 1024;

/** Streaming cyrb53-style hash with two 32-bit lanes (not cryptographic: it tells models apart, it does not authenticate them). */
class Hash64 {
  #h1 = 0xdeadbeef;
  #h2 = 0x41c6ce57;

  bytes(b: Uint8Array): void {
    let h1 = this.#h1;
    let h2 = this.#h2;
    for (let i = 0; i < b.length; i++) {
      h1 = Math.imul(h1 ^ b[i]!, 2654435761);
      h2 = Math.imul(h2 ^ b[i]!, 1597334677);
    }
    this.#h1 = h1;
    this.#h2 = h2;
  }

  text(s: string): void {
    this.bytes(new TextEncoder().encode(s));
  }

  hex(): string {
    let h1 = this.#h1;
    let h2 = this.#h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
  }
}

/** The config as canonical JSON (sorted keys), so that field order does not change the identity. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function digestTensor(hash: Hash64, name: string, t: HostTensor): void {
  hash.text(`${name}:${t.dtype}:${t.shape.join('x')}:${t.data.byteLength};`);
  const n = t.data.byteLength;
  if (n <= WHOLE) return hash.bytes(t.data);
  for (let i = 0; i < WINDOWS; i++) {
    const at = Math.floor((i * (n - WINDOW)) / (WINDOWS - 1));
    hash.bytes(t.data.subarray(at, at + WINDOW));
  }
}

/**
 * 16 hex digits over: the config (canonical JSON of every field), then each weight tensor in a fixed
 * order (embedding, classifier, final norm, then per layer attnNorm wq wk wv wo ffnNorm w1 w2 w3) as
 * its name, dtype, shape and byte length and its bytes: all of them for tensors up to 64 KiB, else
 * 16 windows of 1 KiB spread evenly from the first byte to the last. The same files give the same
 * identity on every backend; a retrained or requantised model gives another.
 */
export function modelIdentity(config: ModelConfig, weights: ModelWeights): string {
  const hash = new Hash64();
  hash.text(canonical(config));
  digestTensor(hash, 'tokenEmbedding', weights.tokenEmbedding);
  digestTensor(hash, 'output', weights.output);
  digestTensor(hash, 'finalNorm', weights.finalNorm);
  weights.layers.forEach((w, l) => {
    for (const k of ['attnNorm', 'wq', 'wk', 'wv', 'wo', 'ffnNorm', 'w1', 'w2', 'w3'] as const) {
      const t = w[k];
      if (t) digestTensor(hash, `layers.${l}.${k}`, t);
    }
  });
  return hash.hex();
}
