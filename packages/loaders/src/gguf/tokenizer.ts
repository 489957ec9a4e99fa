// The SentencePiece vocabulary that llama.cpp converters embed (tokenizer.ggml.model = "llama").
import { MalformedFileError } from '../errors.js';
import { SentencePieceBpeTokenizer } from '../sentencepiece-tokenizer.js';
import type { GgufMetadata } from './metadata.js';
import { metaArray, metaBool, metaString, metaUint } from './metadata.js';
import type { GgufValue } from './value.js';

/** llama.cpp token types (llama_token_type). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
/** SentencePiece's visible space; kvkit pieces hold real spaces. */
const SP_SPACE = '\u2581';

/** The embedded SentencePiece tokenizer, or undefined when the file has another kind (gpt2 BPE, ...) or none. */
export function tokenizerFromGguf(meta: GgufMetadata): SentencePieceBpeTokenizer | undefined {
  if (metaString(meta, 'tokenizer.ggml.model') !== 'llama') return undefined;
  const tokens = metaArray(meta, 'tokenizer.ggml.tokens', 'string');
  if (!tokens || tokens.length === 0) throw new MalformedFileError(`GGUF: tokenizer.ggml.tokens is missing or empty`);
  const n = tokens.length;
  // llama.cpp treats missing scores as 0 and missing types as normal; do the same.
  const scores = metaArray(meta, 'tokenizer.ggml.scores', 'number') ?? new Array<number>(n).fill(0);
  const types = metaArray(meta, 'tokenizer.ggml.token_type', 'number');
  if (scores.length !== n || (types && types.length !== n)) {
    throw new MalformedFileError(`GGUF: ${n} tokens but ${scores.length} scores and ${types?.length ?? n} token types`);
  }
  const id = (key: string, fallback: number): number => {
    const v = metaUint(meta, key, fallback);
    if (v >= n) throw new MalformedFileError(`GGUF: ${key} = ${v} is outside the ${n}-token vocabulary`);
    return v;
  };
  let byteIds: Int32Array | undefined;
  if (types) {
    byteIds = new Int32Array(256).fill(-1);
    for (let i = 0; i < n; i++) {
      if (types[i] !== TOKEN_TYPE.byte) continue;
      const m = BYTE_PIECE.exec(tokens[i]);
      if (!m) throw new MalformedFileError(`GGUF: byte token ${i} is '${tokens[i]}', not <0xNN>`);
      const b = parseInt(m[1], 16);
      if (byteIds[b] === -1) byteIds[b] = i;
    }
  }
  return new SentencePieceBpeTokenizer({
    pieces: tokens.map((t) => t.replaceAll(SP_SPACE, ' ')),
    scores,
    bosId: id('tokenizer.ggml.bos_token_id', 1),
    eosId: id('tokenizer.ggml.eos_token_id', 2),
    unkId: id('tokenizer.ggml.unknown_token_id', 0),
    byteIds,
    addDummyPrefix: metaBool(meta, 'tokenizer.ggml.add_space_prefix', true),
  });
}

/** Metadata entries that embed `tokenizer` the way llama.cpp's converters do. */
export function tokenizerMetadata(tokenizer: SentencePieceBpeTokenizer): [string, GgufValue][] {
  const special = new Set([tokenizer.bosId, tokenizer.eosId]);
  const byteOf = new Map<number, number>();
  tokenizer.byteIds.forEach((id, b) => id >= 0 && byteOf.set(id, b));
  const types = tokenizer.pieces.map((_, i) =>
    byteOf.has(i) ? TOKEN_TYPE.byte : i === tokenizer.unkId ? TOKEN_TYPE.unknown : special.has(i) ? TOKEN_TYPE.control : TOKEN_TYPE.normal,
  );
  return [
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokenizer.pieces.map((p) => p.replaceAll(' ', SP_SPACE)) }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: Array.from(tokenizer.scores) }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: types }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: tokenizer.bosId }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: tokenizer.eosId }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', value: tokenizer.unkId }],
    ['tokenizer.ggml.add_space_prefix', { type: 'bool', value: tokenizer.addDummyPrefix }],
  ];
}
