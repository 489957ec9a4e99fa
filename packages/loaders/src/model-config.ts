import type { HostTensor, RopeLayout } from '@kvkit/tensor';

/** One normalised description of a Llama-family model, whatever file it came from. */
export interface ModelConfig {
  readonly architecture: 'llama';
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly vocabSize: number;
  /** Context length the cache is sized for (GGUF metadata, llama2.c seq_len, HF max_position_embeddings). */
  readonly contextLength: number;
  readonly normEps: number;
  readonly ropeTheta: number;
  readonly ropeLayout: RopeLayout;
  /** Classifier shares the token embedding. */
  readonly tiedEmbeddings: boolean;
  /** kvSource[l] = the layer whose K/V layer l reads (identity when nothing is shared). */
  readonly kvSource: readonly number[];
  /**
   * Per layer, a sliding attention window (keys more than `w - 1` positions back are masked and
   * evicted), or null for full attention; absent = full everywhere. YOCO's self-decoder uses it.
   */
  readonly slidingWindow?: readonly (number | null)[];
  readonly bosId: number;
  readonly eosId: number;
}

export interface LayerWeights {
  readonly attnNorm: HostTensor;
  readonly wq: HostTensor;
  /** Absent in a layer that reads another layer's K/V (kvSource[l] != l) when the file stores none for it. */
  readonly wk?: HostTensor;
  readonly wv?: HostTensor;
  readonly wo: HostTensor;
  readonly ffnNorm: HostTensor;
  /** gate (w1), down (w2), up (w3) as in llama2.c: out = w2(silu(w1 x) * w3 x) */
  readonly w1: HostTensor;
  readonly w2: HostTensor;
  readonly w3: HostTensor;
}

/** Weights as host tensors, row-major [out, in]; norms are always f32. */
export interface ModelWeights {
  readonly tokenEmbedding: HostTensor;
  readonly layers: readonly LayerWeights[];
  readonly finalNorm: HostTensor;
  /** The classifier [vocab, dim]; the same object as tokenEmbedding when tied. */
  readonly output: HostTensor;
}

export interface LoadedModel {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  /** The embedded tokenizer (GGUF) or the one found beside the model file, when there is one. */
  readonly tokenizer?: Tokenizer;
  readonly format: 'llama2c' | 'gguf' | 'hf';
  /** The model's chat template (GGUF `tokenizer.chat_template`, HF `tokenizer_config.json`); absent when it has none. */
  readonly chatTemplate?: ChatTemplate;
}

/** A Jinja chat template as the model ships it, with the text of its BOS/EOS tokens (templates print them). */
export interface ChatTemplate {
  readonly template: string;
  readonly bosToken?: string;
  readonly eosToken?: string;
}

/** Tokenizer contract shared by every format. */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  /** Token ids of `text`; BOS first when `bos` (default true), EOS last when `eos` (default false). */
  encode(text: string, opts?: { bos?: boolean; eos?: boolean }): number[];
  /** Bytes of `token` as run.c prints it after `prev` (leading space dropped after BOS, <0xNN> as a raw byte). */
  decodePiece(prev: number, token: number): Uint8Array;
  /**
   * The token's own UTF-8 bytes after `prev`, nothing filtered (byte-fallback tokens as their raw
   * byte): what streamed text is decoded from. Absent: `decodePiece` is used.
   */
  textBytes?(prev: number, token: number): Uint8Array;
  /** Text of a token sequence as run.c prints it: BOS/EOS not printed, non-printable single bytes skipped. */
  decode(tokens: readonly number[]): string;
}
