// A Hugging Face `tokenizer.json` behind kvkit's Tokenizer contract, through @huggingface/tokenizers.
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { MalformedFileError, UnsupportedModelError } from '../errors.js';
import type { Tokenizer } from '../model-config.js';
import { showJson } from '../show-json.js';

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

/** GPT-2's byte-level alphabet, inverted: the character standing for each byte -> that byte. */
function byteLevelDecoder(): Map<string, number> {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out = new Map<string, number>();
  let next = 256;
  for (let b = 0; b < 256; b++) out.set(String.fromCodePoint(printable(b) ? b : next++), b);
  return out;
}

interface TokenizerJson {
  readonly model?: { readonly type?: string; readonly vocab?: unknown };
  readonly decoder?: { readonly type?: string } | null;
  readonly added_tokens?: unknown;
}

/** Ids beyond twice the entries (plus this) mean a damaged file, not a vocabulary with a few unused ids. */
const ID_GAP_ALLOWANCE = 1024;

/**
 * The ids of model.vocab and added_tokens, checked before the library sees them: each a non-negative integer,
 * none so large that the tables indexed by id (here and in the library) would dwarf the file.
 */
function checkTokenIds(j: TokenizerJson): void {
  const ids: unknown[] = [];
  let entries = 0;
  const vocab = j.model?.vocab;
  if (Array.isArray(vocab)) {
    // Unigram: [piece, score] pairs, the id is the position. Anything else in a list is no vocabulary.
    if (!vocab.every((e) => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number')) {
      throw new MalformedFileError('tokenizer.json: model.vocab is a list, but not of [piece, score] pairs');
    }
    entries += vocab.length;
  }
  else if (typeof vocab === 'object' && vocab !== null) for (const id of Object.values(vocab)) ids.push(id);
  if (Array.isArray(j.added_tokens)) for (const t of j.added_tokens) ids.push((t as { id?: unknown } | null)?.id);
  entries += ids.length;
  const limit = 2 * entries + ID_GAP_ALLOWANCE;
  for (const id of ids) {
    if (typeof id !== 'number') continue; // the library rejects those itself
    if (!Number.isSafeInteger(id) || id < 0 || id >= limit) {
      throw new MalformedFileError(`tokenizer.json: token id ${id} is not an id of a ${entries}-entry vocabulary (ids are 0..${limit - 1} at most)`);
    }
  }
}

export interface HfTokenizerOptions {
  readonly bosId: number;
  readonly eosId: number;
  /** tokenizer_config.json, when there is one. */
  readonly tokenizerConfig?: object;
}

/**
 * Encoding and decoding are the library's; `decodePiece` returns each token's own bytes, which a
 * byte-level BPE needs because one character may span several tokens.
 */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly #impl: HfTokenizerImpl;
  readonly #pieces: Uint8Array[];
  readonly #special: Set<number>;

  constructor(json: unknown, opts: HfTokenizerOptions) {
    if (typeof json !== 'object' || json === null || !('model' in json)) throw new MalformedFileError('tokenizer.json: no "model" section');
    const j = json as TokenizerJson;
    checkTokenIds(j);
    try {
      this.#impl = new HfTokenizerImpl(json, opts.tokenizerConfig ?? {});
    } catch (e) {
      throw new UnsupportedModelError(`tokenizer.json: ${(e as Error).message}`);
    }
    // A loop, not Math.max(...ids): spreading a 128k-token vocabulary overflows the argument stack.
    let maxId = -1;
    let entries = 0;
    try {
      for (const id of this.#impl.get_vocab(true).values()) {
        entries++;
        if (id > maxId) maxId = id;
      }
    } catch (e) {
      throw new UnsupportedModelError(`tokenizer.json: reading its vocabulary failed (${(e as Error).message})`);
    }
    if (!Number.isSafeInteger(maxId) || maxId < 0) throw new MalformedFileError('tokenizer.json: the vocabulary is empty');
    // Again on the library's reading: a vocabulary of another shape than its model expects (a list where a
    // map belongs) can come out with ids the checks above never saw, and every table below is sized by them.
    if (maxId >= 2 * entries + ID_GAP_ALLOWANCE) {
      throw new MalformedFileError(`tokenizer.json: token ids go up to ${maxId} for ${entries} tokens; the vocabulary is damaged`);
    }
    this.vocabSize = maxId + 1;
    this.bosId = opts.bosId;
    this.eosId = opts.eosId;
    for (const [name, id] of [['bos', this.bosId], ['eos', this.eosId]] as const) {
      if (!(Number.isSafeInteger(id) && id >= 0 && id < this.vocabSize)) throw new MalformedFileError(`tokenizer.json: ${name} id ${id} is outside the vocabulary`);
    }
    const byteLevel = j.decoder?.type === 'ByteLevel' ? byteLevelDecoder() : undefined;
    try {
      this.#special = new Set(this.#impl.get_added_tokens_decoder().keys());
      this.#pieces = Array.from({ length: this.vocabSize }, (_, id) => {
        const tok = this.#impl.id_to_token(id);
        if (tok === undefined || this.#special.has(id)) return EMPTY;
        if (!byteLevel) return utf8.encode(this.#impl.decode([id]));
        return Uint8Array.from(Array.from(tok as string, (c: string) => {
          const b = byteLevel.get(c);
          if (b === undefined) throw new MalformedFileError(`tokenizer.json: token ${id} ${showJson(tok)} is not byte-level`);
          return b;
        }));
      });
    } catch (e) {
      // The library accepted a description it then cannot decode with (a decoder of the wrong shape, say).
      if (e instanceof MalformedFileError) throw e;
      throw new UnsupportedModelError(`tokenizer.json: decoding its tokens failed (${(e as Error).message})`);
    }
  }

  encode(text: string, opts: { bos?: boolean; eos?: boolean } = {}): number[] {
    const ids = this.#impl.encode(text, { add_special_tokens: false }).ids;
    return [...((opts.bos ?? true) ? [this.bosId] : []), ...ids, ...(opts.eos ? [this.eosId] : [])];
  }

  decodePiece(_prev: number, token: number): Uint8Array {
    return this.#pieces[token] ?? EMPTY;
  }

  textBytes(prev: number, token: number): Uint8Array {
    return this.decodePiece(prev, token);
  }

  decode(tokens: readonly number[]): string {
    return this.#impl.decode([...tokens], { skip_special_tokens: true });
  }
}
