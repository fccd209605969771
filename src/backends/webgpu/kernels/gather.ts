// Strided copies (kernels/wgsl/gather.wgsl): views made contiguous, transpose, non-contiguous
// reshape/flatten/squeeze/unsqueeze, and concat. Every dtype: 4- and 8-byte elements move as words,
// 1- and 2-byte ones (float16, int16, bool, ...) inside words.
import { bytesPerElement, type DType } from '../../../dtype.js';
import { LeptonError } from '../../../errors.js';
import type { ConcatInfo, LayoutInfo } from '../../../ops/layout.js';
import { contiguousStrides } from '../../../shape.js';
import type { Tensor, TensorMeta } from '../../../tensor.js';
import { fitsBinding, grid1d, no, Uniforms, type GpuKernel } from '../kernel.js';
import type { Dispatch, GpuBuffer, Program } from '../runtime.js';

export const gatherProgram: Program = { name: 'gather_u32', files: ['gather_word', 'gather'], bindings: ['read', 'write'] };

/** The copy of 1- or 2-byte elements. */
function subWordProgram(bytes: 1 | 2): Program {
  return { name: `gather_u${8 * bytes}`, files: ['gather_sub', 'gather'], constants: { BYTES: bytes }, bindings: ['read', 'write'] };
}

export const MAX_GATHER_RANK = 8;

/** A view in 32-bit words: 8-byte dtypes gain a trailing dim of 2 words. */
function inWords(dtype: DType, shape: readonly number[], strides: readonly number[], offset: number): { shape: number[]; strides: number[]; offset: number } {
  if (bytesPerElement(dtype) === 8) return { shape: [...shape, 2], strides: [...strides.map((s) => 2 * s), 1], offset: 2 * offset };
  return { shape: [...shape], strides: [...strides], offset };
}

/** The dispatch copying every element of `shape` from src (strides, offset) to dst (strides, offset), in elements of `dtype`. */
export function copyDispatch(dtype: DType, src: GpuBuffer, dst: GpuBuffer, shape: readonly number[],
  srcStrides: readonly number[], srcOffset: number, dstStrides: readonly number[], dstOffset: number): Dispatch {
  const s = inWords(dtype, shape, srcStrides, srcOffset);
  const d = inWords(dtype, shape, dstStrides, dstOffset);
  if (s.shape.length > MAX_GATHER_RANK) throw new LeptonError('UNSUPPORTED_OP', `gather: rank must be at most ${MAX_GATHER_RANK} on webgpu, got ${s.shape.length}`);
  let count = 1;
  for (const n of s.shape) count *= n;
  const { workgroups, rowPitch } = grid1d(count);
  const u = new Uniforms().vec4u(s.shape, 2, 1).vec4i(s.strides, 2, 0).vec4i(d.strides, 2, 0).u32(s.shape.length, s.offset, d.offset, count, rowPitch);
  const bytes = bytesPerElement(dtype);
  const program = bytes === 1 || bytes === 2 ? subWordProgram(bytes) : gatherProgram;
  return { program, buffers: [src, dst], uniforms: u.buffer, workgroups };
}

/** Gathers a strided view of src into a contiguous dst. */
export function gatherDispatch(src: GpuBuffer, dst: GpuBuffer, shape: readonly number[], strides: readonly number[], offset: number, dtype: DType = 'float32'): Dispatch {
  return copyDispatch(dtype, src, dst, shape, strides, offset, contiguousStrides(shape), 0);
}

/** dtypes the copy moves: 1-, 2-, 4- and 8-byte ones (all of them). */
export function copyable(dtype: DType): boolean {
  return [1, 2, 4, 8].includes(bytesPerElement(dtype));
}

function layoutSupports(op: string, info: LayoutInfo, inputs: readonly (TensorMeta | undefined)[], limits: GPUSupportedLimits) {
  if (!copyable(info.dtype)) return no(`${op} on webgpu copies 1-, 2-, 4- and 8-byte dtypes, got ${info.dtype}`);
  const rank = Math.max(...inputs.map((t) => t?.shape.length ?? 0), info.shape.length) + (bytesPerElement(info.dtype) === 8 ? 1 : 0);
  if (rank > MAX_GATHER_RANK) return no(`${op} on webgpu handles rank <= ${MAX_GATHER_RANK - 1}, got ${rank}`);
  return fitsBinding(op, [...inputs, ...info.outputs], limits);
}

/** reshape/flatten/squeeze/unsqueeze when the input is not contiguous: the input in row-major order. */
const rowMajorKernel: GpuKernel<LayoutInfo> = {
  supports: (info, inputs, limits) => layoutSupports('reshape', info, inputs, limits),
  async run(ctx, info, [x], [y]) {
    await ctx.encode([gatherDispatch(ctx.buffer(x!), ctx.buffer(y!), x!.shape, x!.strides, x!.offset, info.dtype)]);
  },
};

export const transposeKernel: GpuKernel<LayoutInfo & { perm: readonly number[] }> = {
  supports: (info, inputs, limits) => layoutSupports('transpose', info, inputs, limits),
  async run(ctx, info, [x], [y]) {
    const t = x as Tensor;
    await ctx.encode([gatherDispatch(ctx.buffer(t), ctx.buffer(y!), info.perm.map((p) => t.shape[p]!), info.perm.map((p) => t.strides[p]!), t.offset, info.dtype)]);
  },
};

export const concatKernel: GpuKernel<ConcatInfo> = {
  supports: (info, inputs, limits) => (inputs.length > 64 ? no(`concat on webgpu joins at most 64 tensors, got ${inputs.length}`) : layoutSupports('concat', info, inputs, limits)),
  async run(ctx, info, inputs, [y]) {
    const outStrides = contiguousStrides(info.shape);
    const yb = ctx.buffer(y!);
    let start = 0;
    const dispatches: Dispatch[] = [];
    inputs.forEach((x, i) => {
      const t = x!;
      if (t.size > 0) dispatches.push(copyDispatch(info.dtype, ctx.buffer(t), yb, t.shape, t.strides, t.offset, outStrides, start * outStrides[info.axis]!));
      start += info.sizes[i]!;
    });
    await ctx.encode(dispatches);
  },
};

export const layoutKernels: Readonly<Record<string, GpuKernel>> = {
  reshape: rowMajorKernel,
  flatten: rowMajorKernel,
  squeeze: rowMajorKernel,
  unsqueeze: rowMajorKernel,
  transpose: transposeKernel,
  concat: concatKernel,
};

