// HF `config.json` of a Llama-family model -> ModelConfig, with kvkit's explicit KV-sharing fields.
import { MalformedFileError, UnsupportedModelError } from '../errors.js';
import { buildLlamaConfig } from '../llama-config.js';
import type { ModelConfig } from '../model-config.js';
import { showJson } from '../show-json.js';

const WHAT = 'config.json';

type Json = Record<string, unknown>;

function bad(why: string): never {
  throw new MalformedFileError(`${WHAT}: ${why}`);
}

function int(c: Json, key: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(`${key} must be an integer, got ${showJson(c[key])}`);
  return v;
}

function num(c: Json, key: string, fallback: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${key} must be a number, got ${showJson(c[key])}`);
  return v;
}

/** bos/eos ids may be a number or a list (the first is used); absent -> the Llama defaults 1 / 2. */
function tokenId(c: Json, key: string, fallback: number): number {
  const v = c[key];
  const id = Array.isArray(v) ? v[0] : (v ?? fallback);
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) bad(`${key} must be a token id, got ${showJson(v)}`);
  return id;
}

/** The layer each layer reads when `owners` own K/V: the most recent owner at or below it. */
function fromOwners(L: number, owners: ReadonlySet<number>): number[] {
  let last = 0;
  return Array.from({ length: L }, (_, l) => (last = owners.has(l) ? l : last));
}

/**
 * kvSource from the config's sharing fields: an explicit `kv_source` list, or MLKV's
 * `num_key_value_layers` (owners `[0] + [int((i + 1) L / m)]`), `cla_share_factor`, or YOCO's
 * `yoco.self_decoder_layers` (the first cross-decoder layer owns the one global K/V). When the
 * explicit map and a descriptive field are both given they must agree.
 */
function kvSourceOf(c: Json, L: number): number[] {
  const derived: [string, number[]][] = [];
  if (c.num_key_value_layers !== undefined) {
    const m = int(c, 'num_key_value_layers');
    if (m < 1 || m > L) bad(`num_key_value_layers ${m} is outside 1..${L}`);
    derived.push(['num_key_value_layers', fromOwners(L, new Set([0, ...Array.from({ length: m - 1 }, (_, i) => Math.trunc(((i + 1) * L) / m))]))]);
  }
  if (c.cla_share_factor !== undefined) {
    const f = int(c, 'cla_share_factor');
    if (f < 1) bad(`cla_share_factor ${f} must be >= 1`);
    derived.push(['cla_share_factor', Array.from({ length: L }, (_, l) => l - (l % f))]);
  }
  if (c.yoco !== undefined) {
    const half = int((c.yoco ?? {}) as Json, 'self_decoder_layers');
    if (half < 1 || half >= L) bad(`yoco.self_decoder_layers ${half} is outside 1..${L - 1}`);
    derived.push(['yoco', Array.from({ length: L }, (_, l) => Math.min(l, half))]);
  }
  if (c.num_kv_shared_layers !== undefined && int(c, 'num_kv_shared_layers') !== 0) {
    throw new UnsupportedModelError(`${WHAT}: num_kv_shared_layers is not supported; give the map as kv_source`);
  }
  let map: number[];
  if (c.kv_source !== undefined) {
    const ks = c.kv_source;
    if (!Array.isArray(ks) || ks.length !== L) bad(`kv_source must list one source per layer (${L})`);
    map = ks as number[];
    map.forEach((s, l) => {
      if (!Number.isSafeInteger(s) || s < 0 || s > l || map[s] !== s) bad(`kv_source[${l}] = ${showJson(s)}: a layer reads itself or an earlier layer that reads itself`);
    });
  } else {
    map = derived[0]?.[1] ?? Array.from({ length: L }, (_, l) => l);
  }
  for (const [field, d] of derived) {
    if (d.some((s, l) => s !== map[l])) bad(`${field} implies kv_source [${d.join(', ')}], but the config gives [${map.join(', ')}]`);
  }
  return map;
}

/** Per-layer sliding windows from `layer_types` + `sliding_window` (Mistral-style: one window everywhere). */
function slidingWindowOf(c: Json, L: number): (number | null)[] | undefined {
  const types = c.layer_types;
  const w = c.sliding_window;
  if (types === undefined) {
    if (w === undefined || w === null) return undefined;
    const win = int(c, 'sliding_window');
    if (win < 1) bad(`sliding_window ${win} must be >= 1`);
    return Array.from({ length: L }, () => win);
  }
  if (!Array.isArray(types) || types.length !== L) bad(`layer_types must name one type per layer (${L})`);
  return types.map((t, l) => {
    if (t === 'full_attention') return null;
    if (t !== 'sliding_attention') throw new UnsupportedModelError(`${WHAT}: layer_types[${l}] = ${showJson(t)} is not supported`);
    const win = int(c, 'sliding_window');
    if (win < 1) bad(`sliding_window ${win} must be >= 1`);
    return win;
  });
}

/** Rejects Llama-family features kvkit would otherwise compute wrongly. */
function checkSupported(c: Json): void {
  const type = c.model_type;
  if (type !== 'llama' && type !== 'mistral') throw new UnsupportedModelError(`${WHAT}: model_type ${showJson(type)} is not supported (llama, mistral)`);
  const act = c.hidden_act ?? 'silu';
  if (act !== 'silu') throw new UnsupportedModelError(`${WHAT}: hidden_act ${showJson(act)} is not supported (silu)`);
  if (c.attention_bias === true || c.mlp_bias === true) throw new UnsupportedModelError(`${WHAT}: bias terms are not supported`);
  const scaling = c.rope_scaling as Json | null | undefined;
  if (scaling && (scaling.rope_type ?? scaling.type) !== 'default') {
    throw new UnsupportedModelError(`${WHAT}: rope_scaling ${showJson(scaling.rope_type ?? scaling.type)} is not supported`);
  }
  if (c.pretraining_tp !== undefined && c.pretraining_tp !== 1) throw new UnsupportedModelError(`${WHAT}: pretraining_tp ${String(c.pretraining_tp)} is not supported`);
}

/** ModelConfig of an HF Llama `config.json` (parsed JSON); RoPE pairs are HF's half split. */
export function configFromHf(json: unknown): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('not a JSON object');
  const c = json as Json;
  checkSupported(c);
  const dim = int(c, 'hidden_size');
  const nHeads = int(c, 'num_attention_heads');
  const nLayers = int(c, 'num_hidden_layers');
  if (c.head_dim !== undefined && c.head_dim !== null && nHeads > 0 && int(c, 'head_dim') * nHeads !== dim) {
    throw new UnsupportedModelError(`${WHAT}: head_dim ${String(c.head_dim)} x ${nHeads} heads != hidden_size ${dim}`);
  }
  const base = buildLlamaConfig(
    WHAT,
    {
      dim,
      hiddenDim: int(c, 'intermediate_size'),
      nLayers,
      nHeads,
      nKvHeads: int(c, 'num_key_value_heads', nHeads),
      vocabSize: int(c, 'vocab_size'),
      contextLength: int(c, 'max_position_embeddings'),
    },
    {
      normEps: num(c, 'rms_norm_eps', 1e-6),
      ropeTheta: num(c, 'rope_theta', 10000),
      // HF's LlamaConfig default is false: an absent field means a separate lm_head.
      tiedEmbeddings: c.tie_word_embeddings === true,
      bosId: tokenId(c, 'bos_token_id', 1),
      eosId: tokenId(c, 'eos_token_id', 2),
    },
  );
  const slidingWindow = slidingWindowOf(c, nLayers);
  return { ...base, ropeLayout: 'half', kvSource: kvSourceOf(c, nLayers), ...(slidingWindow ? { slidingWindow } : {}) };
}
