import type { DType } from '@kvkit/tensor';
import { UnsupportedModelError } from '../errors.js';

/** ggml tensor type ids (ggml.h), named so that an unsupported file says what it holds. */
const GGML_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1',
  10: 'Q2_K', 11: 'Q3_K', 12: 'Q4_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K',
  16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS',
  24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M', 30: 'BF16',
  31: 'Q4_0_4_4', 32: 'Q4_0_4_8', 33: 'Q4_0_8_8', 34: 'TQ1_0', 35: 'TQ2_0', 39: 'MXFP4',
};

const TO_DTYPE: Readonly<Record<number, DType>> = { 0: 'f32', 1: 'f16', 2: 'q4_0', 8: 'q8_0', 30: 'bf16' };
// u8 (raw packed bytes of quantised KV pages) has no ggml type.
const FROM_DTYPE: Readonly<Partial<Record<DType, number>>> = { f32: 0, f16: 1, q4_0: 2, q8_0: 8, bf16: 30 };

export function ggmlTypeName(type: number): string {
  return GGML_TYPE_NAMES[type] ?? `unknown type ${type}`;
}

/** The kvkit dtype of a ggml type, or UnsupportedModelError naming the type and the tensor. */
export function dtypeOfGgmlType(type: number, tensorName: string): DType {
  const dtype = TO_DTYPE[type];
  if (dtype === undefined) {
    throw new UnsupportedModelError(
      `GGUF tensor '${tensorName}' has ggml type ${ggmlTypeName(type)} (${type}); supported: F32, F16, BF16, Q8_0, Q4_0`,
    );
  }
  return dtype;
}

export function ggmlTypeOfDType(dtype: DType): number {
  const type = FROM_DTYPE[dtype];
  if (type === undefined) throw new UnsupportedModelError(`dtype ${dtype} has no ggml tensor type`);
  return type;
}
