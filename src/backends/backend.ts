import type { DType, TypedArray } from '../dtype.js';
import type { OpDef, OpInfo } from '../ops/op.js';
import type { Storage } from '../storage.js';
import type { Tensor, TensorMeta } from '../tensor.js';

export type Support = { ok: true } | { ok: false; reason: string };

/** What lc.devices() reports for one device. */
export interface DeviceInfo {
  id: string;
  kind: 'cpu' | 'webgpu' | 'cuda' | (string & {});
  name: string;
  available: boolean;
  /** Why the device is unavailable, or a note on how it runs (e.g. reference kernels). */
  reason?: string;
  memoryBytes?: number;
  [detail: string]: unknown;
}

/** A device kind's implementation: capability, memory and launch. One per device id. */
export interface Backend {
  /** 'cpu', 'webgpu:0', 'cuda:0'. */
  readonly id: string;
  /** Static description, including availability. */
  info(): DeviceInfo;
  /** Pure and cheap: can this device run the op with this info? Must match the kernel's own checks. */
  supports(op: OpDef<any, any>, info: OpInfo, inputs: readonly (TensorMeta | undefined)[]): Support;
  /** Memory for `length` elements; its contents are written by a later execute(). */
  allocate(dtype: DType, length: number): Storage;
  /** Copies row-major host data into storage allocated on this device. */
  write(storage: Storage, data: TypedArray): Promise<void> | void;
  /** Runs the op. Inputs live on this device and are ready; outputs were allocated here. */
  execute(op: OpDef<any, any>, attrs: unknown, info: OpInfo, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[]): Promise<void> | void;
  /** Copies a tensor on this device to a new row-major host array. */
  read(t: Tensor): Promise<TypedArray>;
}
