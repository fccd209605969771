/// <reference types="@webgpu/types" />
// What every WebGPU kernel file uses: the kernel interface, a uniform-block writer and the context
// a kernel encodes its dispatches with.
import { bytesPerElement, type DType } from '../../dtype.js';
import { LeptonError } from '../../errors.js';
import type { OpInfo } from '../../ops/op.js';
import type { Tensor, TensorMeta } from '../../tensor.js';
import type { Support } from '../backend.js';
import type { Dispatch, GpuBuffer, GpuRuntime, Program } from './runtime.js';
import { UNIFORM_BYTES } from './runtime.js';

/** One op's WebGPU kernel. `supports` must accept exactly what `run` handles. */
export interface GpuKernel<I extends OpInfo = any> {
  /** `features`: the optional features the device was created with (see usableFeatures). */
  supports(info: I, inputs: readonly (TensorMeta | undefined)[], limits: GPUSupportedLimits, features: ReadonlySet<string>): Support;
  /** Encodes the op's dispatches; inputs are resident and ready, outputs allocated here. */
  run(ctx: KernelContext, info: I, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[], attrs: unknown): Promise<void>;
  /** The programs this kernel may use for typical infos: what warmup compiles. */
  programs?(): Program[];
}

export interface KernelContext {
  readonly rt: GpuRuntime;
  readonly op: string;
  /** The buffer behind a tensor (its element offset and strides are the tensor's own). */
  buffer(t: Tensor): GpuBuffer;
  /** A scratch buffer, returned to the pool once the batch holding the next encode() has run. */
  scratch(bytes: number): GpuBuffer;
  encode(dispatches: readonly Dispatch[]): Promise<void>;
}

export const ok: Support = { ok: true };
export const no = (reason: string): Support => ({ ok: false, reason });

/** Kernels without float16 variants: float32 only. */
export function allFloat32(op: string, inputs: readonly (TensorMeta | undefined)[]): Support {
  const bad = inputs.find((t) => t && t.dtype !== 'float32');
  return bad ? no(`${op} on webgpu needs float32 inputs, got ${bad.dtype}`) : ok;
}

/** Kernels with float16 variants (GEMM, conv): all inputs float32, or all float16 when the device has shader-f16. */
export function allFloat32Or16(op: string, inputs: readonly (TensorMeta | undefined)[], features: ReadonlySet<string>): Support {
  const first = inputs.find((t) => t !== undefined);
  if (!first) return ok;
  if (first.dtype !== 'float32' && first.dtype !== 'float16') return no(`${op} on webgpu needs float32 or float16 inputs, got ${first.dtype}`);
  const mixed = inputs.find((t) => t && t.dtype !== first.dtype);
  if (mixed) return no(`${op} on webgpu needs inputs of one dtype, got ${first.dtype} and ${mixed.dtype}`);
  if (first.dtype === 'float16' && !features.has('shader-f16')) {
    return no(`${op} on webgpu needs the shader-f16 feature for float16, which this device lacks (or LEPTON_WEBGPU_DISABLE_FEATURES turned off)`);
  }
  return ok;
}

/**
 * How a program stores elements of `dtype`: its WGSL scalar type (placeholder T), the name suffix, and
 * the files put in front (`enable f16;` must precede every declaration). Arithmetic stays f32: loads
 * convert with f32(...), stores round once with T(...).
 */
export function storageType(dtype: DType): { readonly T: 'f32' | 'f16'; readonly prefix: readonly string[] } {
  return dtype === 'float16' ? { T: 'f16', prefix: ['enable_f16'] } : { T: 'f32', prefix: [] };
}

/** Refuses tensors bigger than one storage binding. */
export function fitsBinding(op: string, metas: readonly (TensorMeta | undefined)[], limits: GPUSupportedLimits): Support {
  const max = limits.maxStorageBufferBindingSize;
  for (const m of metas) {
    if (!m) continue;
    let n = bytesPerElement(m.dtype);
    for (const d of m.shape) n *= d;
    if (n > max) return no(`${op}: a tensor of ${n} bytes exceeds this device's maxStorageBufferBindingSize ${max}`);
  }
  return ok;
}

/** Writes a WGSL uniform block word by word; vec4 members must start at 16-byte boundaries. */
export class Uniforms {
  private readonly words = new ArrayBuffer(UNIFORM_BYTES);
  private readonly u = new Uint32Array(this.words);
  private readonly i = new Int32Array(this.words);
  private readonly f = new Float32Array(this.words);
  private at = 0;

  u32(...values: number[]): this {
    for (const v of values) this.u[this.next()] = v;
    return this;
  }

  i32(...values: number[]): this {
    for (const v of values) this.i[this.next()] = v;
    return this;
  }

  f32(...values: number[]): this {
    for (const v of values) this.f[this.next()] = v;
    return this;
  }

  /** `count` vec4u members from `values` (padded with `fill`). */
  vec4u(values: readonly number[], count: number, fill = 0): this {
    this.align16();
    for (let k = 0; k < 4 * count; k++) this.u[this.next()] = values[k] ?? fill;
    return this;
  }

  vec4i(values: readonly number[], count: number, fill = 0): this {
    this.align16();
    for (let k = 0; k < 4 * count; k++) this.i[this.next()] = values[k] ?? fill;
    return this;
  }

  get buffer(): ArrayBuffer {
    return this.words;
  }

  private align16(): void {
    this.at = Math.ceil(this.at / 4) * 4;
  }

  private next(): number {
    if (this.at >= this.u.length) throw new LeptonError('KERNEL_ERROR', `webgpu: uniform block must fit ${UNIFORM_BYTES} bytes, got more`);
    return this.at++;
  }
}

/** A 1-D launch of `count` invocations of `perGroup` as a 2-D grid (x <= 65535): [x, y] and the row pitch. */
export function grid1d(count: number, perGroup = 256, maxX = 65535): { workgroups: [number, number, number]; rowPitch: number } {
  const groups = Math.ceil(count / perGroup);
  const x = Math.max(1, Math.min(groups, maxX));
  const y = count === 0 ? 0 : Math.ceil(groups / x);
  return { workgroups: [count === 0 ? 0 : x, y, 1], rowPitch: x * perGroup };
}

/** Pads batch dims (and their strides) in front to 4. */
export function pad4(values: readonly number[], fill: number): number[] {
  return [...new Array<number>(Math.max(0, 4 - values.length)).fill(fill), ...values];
}
