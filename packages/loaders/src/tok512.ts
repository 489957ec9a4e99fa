// llama2.c tokenizer.bin (tok512.bin, tokenizer.bin): int32 max_token_length, then per id float32 score, int32 len, bytes.
import { ByteReader } from './byte-reader.js';
import { MalformedFileError } from './errors.js';
import { SentencePieceBpeTokenizer } from './sentencepiece-tokenizer.js';

const SOURCE = 'llama2.c tokenizer';

/** Reads `vocabSize` entries (the model's vocab size; the file does not store it). BOS 1, EOS 2 as in run.c. */
export function readTok512(bytes: Uint8Array, vocabSize: number): SentencePieceBpeTokenizer {
  const r = new ByteReader(bytes, SOURCE);
  // Each entry takes at least 8 bytes: reject an impossible vocab size before allocating for it.
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 3 || vocabSize > (bytes.length - 4) / 8) {
    throw new MalformedFileError(`${SOURCE}: ${bytes.length} bytes cannot hold a vocabulary of ${vocabSize}`);
  }
  const maxLen = r.i32('max_token_length');
  if (maxLen < 1) throw new MalformedFileError(`${SOURCE}: max_token_length ${maxLen} is not positive`);
  const pieces: string[] = [];
  const scores = new Float32Array(vocabSize);
  for (let id = 0; id < vocabSize; id++) {
    scores[id] = r.f32(`score of token ${id}`);
    const at = r.pos;
    const len = r.i32(`length of token ${id}`);
    if (len < 0 || len > maxLen) {
      throw new MalformedFileError(`${SOURCE}: token ${id} at byte ${at} has length ${len}, max_token_length is ${maxLen}`);
    }
    pieces.push(r.utf8(len, `bytes of token ${id}`));
  }
  if (r.remaining !== 0) {
    throw new MalformedFileError(`${SOURCE}: ${r.remaining} bytes left after ${vocabSize} tokens; the vocabulary size does not match the model`);
  }
  return new SentencePieceBpeTokenizer({ pieces, scores, bosId: 1, eosId: 2, unkId: 0 });
}
