import type { DType } from './dtype.js';

/**
 * A typed, shaped view of storage owned by one backend. Storage is backend-private: read it back with
 * `backend.read`. Release it with `dispose()` or `using`.
 */
export interface Tensor extends Disposable {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Name of the backend that owns the storage. */
  readonly backend: string;
  readonly byteLength: number;
  dispose(): void;
}

/** Host-side tensor: raw little-endian bytes in the dtype's encoding (what loaders produce). */
export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}
