// The messages between the page and the inference worker: one discriminated union each way. Every
// request carries an id; the worker's answers to it carry the same id.
import type { BudgetSpec, KvDtype, PolicyInput } from '@kvkit/cache';
import type { ChatMessage } from '@kvkit/runtime';

export type BackendName = 'auto' | 'wasm' | 'webgpu' | 'cpu';

/** Where a model comes from. Files travel as `File` objects (structured clone, no copy of the bytes). */
export type ModelSourceMessage =
  | { readonly kind: 'shipped'; readonly name: string; readonly files: Readonly<Record<string, string>> }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'files'; readonly files: readonly File[] };

/** How a session stores and trims its cache; `policy: null` keeps every token. */
export interface CacheSettings {
  readonly policy: PolicyInput | null;
  readonly budget: BudgetSpec | null;
  readonly kvDtype: KvDtype;
}

export interface SamplingSettings {
  readonly maxTokens: number;
  readonly temperature: number;
  readonly seed: number;
}

export type GenerationInput =
  | { readonly kind: 'text'; readonly prompt: string }
  | { readonly kind: 'chat'; readonly messages: readonly ChatMessage[] };

export interface NeedleRunRequest {
  readonly label: string;
  readonly cache: CacheSettings;
}

export type ToWorker =
  | { readonly type: 'load'; readonly id: number; readonly source: ModelSourceMessage; readonly label: string; readonly backend: BackendName; readonly memoryLimit?: number }
  | { readonly type: 'generate'; readonly id: number; readonly input: GenerationInput; readonly cache: CacheSettings; readonly sampling: SamplingSettings }
  | { readonly type: 'abort'; readonly id: number }
  | { readonly type: 'needle'; readonly id: number; readonly length: number; readonly depth: number; readonly seed: number; readonly runs: readonly NeedleRunRequest[] };

/** What the page shows about the loaded model. */
export interface ModelSummary {
  readonly label: string;
  readonly format: string;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly contextLength: number;
  readonly kvSource: readonly number[];
  readonly slidingWindow: readonly (number | null)[] | null;
  readonly hasChatTemplate: boolean;
  readonly backend: { readonly kind: string; readonly name: string; readonly threads: number; readonly adapter?: string; readonly reason?: string };
  readonly crossOriginIsolated: boolean;
}

/** The cache of a session at one moment: bytes and, per cache-owning layer and KV head, the positions held. */
export interface CacheSnapshot {
  /** Tokens fed so far (prompt and generated). */
  readonly position: number;
  readonly bytesUsed: number;
  /** Bytes of a cache that keeps every one of `position` tokens, in the same storage format. */
  readonly fullBytes: number;
  /** Bytes the policy's budget allows (its tokens per layer in this format), when there is a budget. */
  readonly budgetBytes: number | null;
  readonly budgetTokens: number | null;
  readonly kvDtype: KvDtype;
  readonly policy: string;
  readonly tokensHeld: readonly (readonly number[])[];
  /** `held[layer][kvHead]`: positions held, for cache-owning layers (sharing layers read their source's). */
  readonly held: readonly (readonly (readonly number[])[] | null)[];
  readonly kvSource: readonly number[];
  /** The text of each position's token. */
  readonly pieces: readonly string[];
  /** Positions the last generation's prompt started at (earlier ones are earlier chat turns). */
  readonly promptStart: number;
  /** Positions from here on were generated rather than prompted, in the last generation. */
  readonly generatedFrom: number;
  readonly compressions: number;
}

export interface GenerationSummary {
  readonly text: string;
  /** The generated token ids. */
  readonly tokens: readonly number[];
  readonly finishReason: string;
  readonly promptTokens: number;
  readonly reusedTokens: number;
  readonly generatedTokens: number;
  readonly tokensPerSecond: number;
  readonly timeToFirstTokenMs: number;
}

export interface NeedleRunResult {
  readonly label: string;
  readonly answer: string;
  readonly correct: boolean;
  readonly bytesUsed: number;
  readonly fullBytes: number;
  readonly snapshot: CacheSnapshot;
}

/** A typed kvkit error (or any other), as the page shows it. */
export interface ErrorMessage {
  readonly code: string;
  readonly name: string;
  readonly message: string;
}

export type FromWorker =
  | { readonly type: 'progress'; readonly id: number; readonly file: string; readonly loaded: number; readonly total: number | null }
  | { readonly type: 'loaded'; readonly id: number; readonly model: ModelSummary }
  | { readonly type: 'chunk'; readonly id: number; readonly text: string; readonly tokens: readonly number[]; readonly elapsedMs: number; readonly generated: number }
  | { readonly type: 'stats'; readonly id: number; readonly snapshot: CacheSnapshot }
  | { readonly type: 'done'; readonly id: number; readonly result: GenerationSummary }
  | { readonly type: 'needle-prompt'; readonly id: number; readonly code: string; readonly tokens: number; readonly factAt: number; readonly factEnd: number; readonly question: string }
  | { readonly type: 'needle-run'; readonly id: number; readonly run: NeedleRunResult }
  | { readonly type: 'needle-done'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly error: ErrorMessage };
