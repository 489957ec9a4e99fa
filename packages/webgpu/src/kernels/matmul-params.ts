import type { ParamFields } from './kernel.js';

/**
 * Parameters shared by the GEMV and GEMM kernels. One dispatch covers one row chunk of the weight
 * (weights larger than a storage binding are split by rows): `rows` rows of it, whose outputs are
 * columns `col0 ..< col0 + rows` of `out[m, n]`.
 */
export const MATMUL_PARAMS: ParamFields = [
  ['m', 'u32'],
  ['n', 'u32'],
  ['k', 'u32'],
  ['rows', 'u32'],
  ['col0', 'u32'],
];
