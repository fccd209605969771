// What every CUDA kernel file uses: the kernel interface, the launch context and shared checks.
import { bytesPerElement, type DType } from '../../dtype.js';
import type { CudaAddon } from '../../native.js';
import type { OpInfo } from '../../ops/op.js';
import { contiguousStrides } from '../../shape.js';
import type { Tensor, TensorMeta } from '../../tensor.js';
import type { Support } from '../backend.js';
import type { CudaStorage } from './storage.js';

/** kernels/cuda/common.h kCudaMaxRank: strided kernels walk at most this many dims. */
export const MAX_RANK = 8;

export type CudaPrecision = 'highest' | 'tf32';

/** One op's CUDA kernel. `supports` must accept exactly what `run` handles (any strides, so it sees metas only). */
export interface CudaKernel<I extends OpInfo = any> {
  supports(info: I, inputs: readonly (TensorMeta | undefined)[]): Support;
  /** Enqueues the op; resolves once it has run on the GPU. Inputs are resident and ready. */
  run(ctx: CudaContext, info: I, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[]): Promise<void>;
}

/** A device buffer as the addon takes it: id plus element offset. */
export interface DeviceRef {
  readonly id: number;
  readonly offset: number;
}

export interface CudaContext {
  readonly addon: CudaAddon;
  readonly device: number;
  readonly op: string;
  readonly precision: CudaPrecision;
  /** The tensor's buffer and element offset (its strides are its own). */
  ref(t: Tensor): DeviceRef;
  /** A scratch buffer, released when the kernel has finished. */
  temp(dtype: DType, length: number): CudaStorage;
  /** The tensor's elements row-major: itself when contiguous, else a gathered scratch copy. */
  contiguous(t: Tensor): Promise<DeviceRef>;
}

export const ok: Support = { ok: true };
export const no = (reason: string): Support => ({ ok: false, reason });

/** Only float32 compute kernels (plus the fp16 tensor-core GEMM, which checks for itself). */
export function allFloat32(op: string, inputs: readonly (TensorMeta | undefined)[]): Support {
  const bad = inputs.find((t) => t && t.dtype !== 'float32');
  return bad ? no(`${op} on cuda needs float32 inputs, got ${bad.dtype}`) : ok;
}

/** Strided kernels and gathers take at most MAX_RANK dims. */
export function rankAtMost(op: string, metas: readonly (TensorMeta | undefined)[], max = MAX_RANK): Support {
  const bad = metas.find((t) => t && t.shape.length > max);
  return bad ? no(`${op} on cuda takes tensors of rank <= ${max}, got rank ${bad.shape.length}`) : ok;
}

/** The first failing check, or ok. */
export function all(...checks: Support[]): Support {
  return checks.find((c) => !c.ok) ?? ok;
}

/** Gathers a strided view into a fresh row-major scratch buffer. */
export async function gather(ctx: CudaContext, t: Tensor): Promise<DeviceRef> {
  const tmp = ctx.temp(t.dtype, t.size);
  const src = ctx.ref(t);
  await ctx.addon.cudaCopy(ctx.device, bytesPerElement(t.dtype), t.shape, t.strides, src.id, src.offset,
    contiguousStrides(t.shape), tmp.use(ctx.op), 0);
  return { id: tmp.id, offset: 0 };
}

export const ACTIVATION_CODE = { none: 0, relu: 1 } as const;
