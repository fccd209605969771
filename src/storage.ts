import type { DType, TypedArray } from './dtype.js';
import { LeptonError } from './errors.js';

/**
 * Memory behind one or more tensors (views share it). `ready` settles when the
 * kernel that writes it has finished; a failed kernel rejects it.
 */
export interface Storage {
  readonly device: string;
  readonly dtype: DType;
  readonly length: number;
  /** Host memory for the CPU device; undefined for device memory. */
  readonly data?: TypedArray;
  /** Opaque device handle (GPU buffer) for other devices. */
  readonly handle?: unknown;
  ready: Promise<void>;
  /** Set when the producing kernel failed; reads rethrow it. */
  error?: LeptonError;
  /** Releases device memory; idempotent. */
  release(): void;
}

export function hostStorage(dtype: DType, data: TypedArray, ready: Promise<void> = Promise.resolve()): Storage {
  return { device: 'cpu', dtype, length: data.length, data, ready, release() {} };
}
