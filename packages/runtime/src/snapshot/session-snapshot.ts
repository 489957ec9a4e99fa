// A session's snapshot: the container of @kvkit/cache with the session's header (model identity,
// options, tokens) around the cache's and the policy's parts.
import type { CachePolicyOptions, CacheRestorePlan, CacheSnapshotHeader, KvCache, PolicyRunnerState, PolicySnapshotHeader } from '@kvkit/cache';
import {
  captureCache,
  decodeContainer,
  decodePolicyState,
  encodeContainer,
  encodePolicyState,
  planCacheRestore,
  SnapshotMalformedError,
  SnapshotModelMismatchError,
  SnapshotOptionsMismatchError,
} from '@kvkit/cache';
import type { ModelConfig } from '@kvkit/loaders';
import type { Backend, KvDtype } from '@kvkit/tensor';
import type { CacheLayoutKind, PolicyKind } from '@kvkit/cache';

/** What TextSession keeps beside the tokens: the sampled token not fed yet, and the text so far. */
export interface TextSnapshotState {
  readonly pending: number | null;
  readonly text: string;
}

/** The JSON header of a session snapshot (format version 1). */
export interface SessionSnapshotHeader {
  readonly kind: 'kvkit-session';
  readonly model: {
    /** `LlamaModel.identity`: a hash of the config and a digest of the weights. */
    readonly identity: string;
    readonly config: Pick<ModelConfig, 'dim' | 'nLayers' | 'nHeads' | 'nKvHeads' | 'headDim' | 'vocabSize' | 'contextLength' | 'kvSource' | 'slidingWindow'>;
  };
  readonly session: {
    readonly mode: 'cache' | 'recompute';
    readonly maxTokens: number;
    /** The policy with every parameter resolved, its budget spec and recompression interval. */
    readonly policy: CachePolicyOptions | null;
  };
  /** Tokens of the sequence (the payload's first part, LEB128 varints). */
  readonly tokens: number;
  readonly cache: CacheSnapshotHeader | null;
  readonly policyState: PolicySnapshotHeader | null;
  readonly sections: { readonly tokens: number; readonly cache: number; readonly policy: number };
  readonly text: TextSnapshotState | null;
  /** The application's own JSON (`snapshot({ meta })`). */
  readonly meta: unknown;
  /** ISO time the snapshot was taken. */
  readonly createdAt: string;
}

export interface SnapshotParts {
  readonly identity: string;
  readonly config: ModelConfig;
  readonly backend: Backend;
  readonly mode: 'cache' | 'recompute';
  readonly maxTokens: number;
  readonly policy: CachePolicyOptions | undefined;
  readonly tokens: readonly number[];
  readonly cache: KvCache;
  readonly policyState: PolicyRunnerState | undefined;
  readonly text?: TextSnapshotState;
  readonly meta?: unknown;
}

function varints(values: readonly number[]): Uint8Array {
  const out: number[] = [];
  for (let v of values) {
    while (v >= 128) {
      out.push((v & 127) | 128);
      v >>>= 7;
    }
    out.push(v);
  }
  return Uint8Array.from(out);
}

function readVarints(bytes: Uint8Array, count: number): number[] {
  const out: number[] = [];
  let i = 0;
  for (let n = 0; n < count; n++) {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (i >= bytes.length || shift > 28) throw new SnapshotMalformedError('snapshot tokens: bad varint');
      const b = bytes[i++]!;
      v += (b & 127) * 2 ** shift;
      shift += 7;
      if (b < 128) break;
    }
    out.push(v);
  }
  if (i !== bytes.length) throw new SnapshotMalformedError(`snapshot tokens: ${bytes.length - i} bytes left over`);
  return out;
}

export async function encodeSessionSnapshot(p: SnapshotParts): Promise<Uint8Array> {
  const tokens = varints(p.tokens);
  const cache = p.mode === 'cache' ? await captureCache(p.cache, p.backend) : undefined;
  const policy = p.policyState ? encodePolicyState(p.policyState) : undefined;
  const c = p.config;
  const header: SessionSnapshotHeader = {
    kind: 'kvkit-session',
    model: {
      identity: p.identity,
      config: { dim: c.dim, nLayers: c.nLayers, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, vocabSize: c.vocabSize, contextLength: c.contextLength, kvSource: c.kvSource, ...(c.slidingWindow ? { slidingWindow: c.slidingWindow } : {}) },
    },
    session: { mode: p.mode, maxTokens: p.maxTokens, policy: p.policy ?? null },
    tokens: p.tokens.length,
    cache: cache?.header ?? null,
    policyState: policy?.header ?? null,
    sections: { tokens: tokens.length, cache: cache?.payload.length ?? 0, policy: policy?.payload.length ?? 0 },
    text: p.text ?? null,
    meta: p.meta ?? null,
    createdAt: new Date().toISOString(),
  };
  const payload = new Uint8Array(tokens.length + (cache?.payload.length ?? 0) + (policy?.payload.length ?? 0));
  payload.set(tokens);
  if (cache) payload.set(cache.payload, tokens.length);
  if (policy) payload.set(policy.payload, tokens.length + cache!.payload.length);
  return encodeContainer(header, payload);
}

/** What a restore may insist on; a snapshot that differs throws SnapshotOptionsMismatchError naming the field. */
export interface RestoreExpectations {
  readonly kvDtype?: KvDtype;
  readonly layout?: CacheLayoutKind;
  readonly policy?: PolicyKind;
}

export interface DecodedSessionSnapshot {
  readonly header: SessionSnapshotHeader;
  readonly tokens: number[];
  readonly cache: CacheRestorePlan | undefined;
  readonly policyState: PolicyRunnerState | undefined;
}

/** The header alone, after the container's checks (magic, version, length, checksums). */
export function readSnapshotHeader(bytes: Uint8Array): SessionSnapshotHeader {
  const { header } = decodeContainer(bytes);
  if (header.kind !== 'kvkit-session') throw new SnapshotMalformedError(`not a session snapshot (kind ${String(header.kind)})`);
  return header as unknown as SessionSnapshotHeader;
}

/** Every check and every allocation-free step of a restore: nothing of the model or a session changes. */
export function decodeSessionSnapshot(bytes: Uint8Array, identity: string, expect: RestoreExpectations = {}): DecodedSessionSnapshot {
  const { header: raw, payload } = decodeContainer(bytes);
  if (raw.kind !== 'kvkit-session') throw new SnapshotMalformedError(`not a session snapshot (kind ${String(raw.kind)})`);
  const h = raw as unknown as SessionSnapshotHeader;
  if (h.model?.identity !== identity) {
    throw new SnapshotModelMismatchError(`this snapshot was made with another model (identity ${String(h.model?.identity)}, this model is ${identity}): load the model it was made with`);
  }
  const s = h.sections;
  if (!(s && [s.tokens, s.cache, s.policy].every((n) => Number.isSafeInteger(n) && n >= 0) && s.tokens + s.cache + s.policy === payload.length)) {
    throw new SnapshotMalformedError('snapshot sections do not add up to its payload');
  }
  if (!(h.session && (h.session.mode === 'cache' || h.session.mode === 'recompute') && Number.isSafeInteger(h.session.maxTokens))) throw new SnapshotMalformedError('snapshot session header is incomplete');
  const mismatch = (field: string, got: unknown, want: unknown) => {
    if (want !== undefined && got !== want) throw new SnapshotOptionsMismatchError(field, `the snapshot's ${field} is ${String(got)}, not ${String(want)} as asked: restore without that option, or use a snapshot made with ${field} ${String(want)}`);
  };
  mismatch('kvDtype', h.cache?.kvDtype ?? 'f32', expect.kvDtype);
  mismatch('layout', h.cache?.layout, expect.layout);
  mismatch('policy', h.session.policy?.policy.kind ?? 'none', expect.policy);
  const tokens = readVarints(payload.subarray(0, s.tokens), h.tokens);
  if (tokens.length > h.session.maxTokens) throw new SnapshotMalformedError(`snapshot holds ${tokens.length} tokens for a context of ${h.session.maxTokens}`);
  if (h.session.mode === 'cache' && !h.cache) throw new SnapshotMalformedError('a cache-mode snapshot without its cache');
  const cache = h.cache ? planCacheRestore(h.cache, payload.subarray(s.tokens, s.tokens + s.cache)) : undefined;
  const policyState = h.policyState ? decodePolicyState(h.policyState, payload.subarray(s.tokens + s.cache)) : undefined;
  return { header: h, tokens, cache, policyState };
}
