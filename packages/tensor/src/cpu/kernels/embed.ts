import { f16Table32 } from '../../f16.js';
import { InvalidArgumentError, ShapeMismatchError } from '../../errors.js';
import { decode } from '../../quant/codec.js';
import { byteSize } from '../../dtype.js';
import type { CpuTensor } from '../cpu-tensor.js';
import { rowsCols } from '../cpu-tensor.js';

/** out[i, :] = table[tokens[i], :], decoding one row of a quantised table at a time. */
export function embed(out: CpuTensor, table: CpuTensor, tokens: Int32Array): void {
  const [vocab, d] = rowsCols(table);
  if (out.size !== tokens.length * d) throw new ShapeMismatchError(`embed: out[${out.size}] for ${tokens.length} tokens of dim ${d}`);
  const o = out.f32;
  const rowBytes = byteSize(table.dtype, d);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!(t >= 0 && t < vocab)) throw new InvalidArgumentError(`token id ${t} outside the vocabulary of ${vocab}`);
    if (table.dtype === 'f32') o.set(table.f32.subarray(t * d, (t + 1) * d), i * d);
    else if (table.dtype === 'f16') {
      const lut = f16Table32();
      const b = table.bytes;
      for (let j = 0; j < d; j++) o[i * d + j] = lut[b[t * rowBytes + 2 * j]! | (b[t * rowBytes + 2 * j + 1]! << 8)]!;
    } else o.set(decode(table.dtype, table.bytes.subarray(t * rowBytes, (t + 1) * rowBytes), d), i * d);
  }
}
