// Everything a command needs to run a model for text: flags checked, then the model and its session.
import type { CacheChoice, CachePolicyOptions } from '@kvkit/cache';
import { chooseCacheForBytes } from '@kvkit/cache';
import type { ModelConfig } from '@kvkit/loaders';
import type { BackendInfo, LanguageModel, TextSession, TextSessionOptions } from '@kvkit/runtime';
import { loadLanguageModel } from '@kvkit/runtime';
import type { Flags } from '../args/flags.js';
import { bool } from '../args/values.js';
import type { BackendRequest } from './backend.js';
import { backendRequest, openCliBackend } from './backend.js';
import type { ModelChoice } from './model.js';
import { checkModelExists, downloadProgress, modelChoice } from './model.js';
import type { CacheRequest, KvStorage } from './policy.js';
import { cacheRequest, checkPlannerStorage, describePolicy, kvStorage } from './policy.js';

export interface TextRunRequest {
  readonly model: ModelChoice;
  readonly backend: BackendRequest;
  readonly cache: CacheRequest;
  readonly storage: KvStorage;
  readonly noCache: boolean;
}

/** Every model, backend and cache flag, checked. */
export function textRunRequest(flags: Flags): TextRunRequest {
  const cache = cacheRequest(flags);
  const storage = kvStorage(flags);
  checkPlannerStorage(cache, storage);
  return { model: modelChoice(flags), backend: backendRequest(flags), cache, storage, noCache: bool(flags, 'no-cache') };
}

/**
 * The policy and storage a session runs: as the flags say, or, for `--max-bytes` alone, what the
 * planner chooses for the model's context (`chooseCacheForBytes`, as `createSession({ maxBytes })` does).
 */
export function resolveCache(r: TextRunRequest, config: ModelConfig): { policy?: CachePolicyOptions; storage: KvStorage; planned?: CacheChoice } {
  if (r.cache.maxBytes === undefined) return { ...(r.cache.policy ? { policy: r.cache.policy } : {}), storage: r.storage };
  const planned = chooseCacheForBytes(config, { maxBytes: r.cache.maxBytes, context: config.contextLength });
  return { ...(planned.policy ? { policy: planned.policy } : {}), storage: { kvDtype: planned.kvDtype, ...(planned.kivi ? { kivi: planned.kivi } : {}) }, planned };
}

/** The session options of a request for a model. */
export function sessionOptions(r: TextRunRequest, config: ModelConfig): TextSessionOptions {
  const { policy, storage } = resolveCache(r, config);
  return {
    ...storage,
    ...(r.noCache ? { mode: 'recompute' as const } : {}),
    ...(policy ? { policy: policy.policy, budget: policy.budget, ...(policy.recompressInterval !== undefined ? { recompressInterval: policy.recompressInterval } : {}) } : {}),
  };
}

export interface OpenedModel extends Disposable {
  readonly model: LanguageModel;
  readonly info: BackendInfo;
}

/** Load the model onto the requested backend; disposing frees both. */
export async function openTextModel(r: TextRunRequest, quiet: boolean): Promise<OpenedModel> {
  checkModelExists(r.model);
  const { backend, info } = await openCliBackend(r.backend);
  try {
    const progress = downloadProgress(r.model, quiet);
    const model = await loadLanguageModel(r.model.source, {
      backend,
      ...(r.model.tokenizer ? { tokenizer: r.model.tokenizer } : {}),
      ...(progress ? { onProgress: progress } : {}),
    });
    return {
      model,
      info,
      [Symbol.dispose]() {
        model.dispose();
        backend[Symbol.dispose]();
      },
    };
  } catch (e) {
    backend[Symbol.dispose]();
    throw e;
  }
}

/** Cache accounting of a session, as JSON reports give it. */
export function cacheReport(session: TextSession, policy: CachePolicyOptions | undefined) {
  const s = session.stats();
  return {
    kvDtype: session.session.cache.kvDtype,
    bytesUsed: s.bytesUsed,
    bytesPerToken: s.bytesPerToken,
    bytesReserved: s.bytesReserved,
    tokensHeld: Math.max(0, ...s.tokensHeld.flat()),
    tokensHeldPerHead: s.tokensHeld,
    ...(policy ? { policy: { ...describePolicy(policy), budgetTokens: session.budget, compressions: session.compressions } } : {}),
  };
}
