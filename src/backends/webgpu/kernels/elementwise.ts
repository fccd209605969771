// Unary ops, clip and broadcasting binary ops (kernels/wgsl/unary.wgsl, binary.wgsl), float32.
import { BINARY_CODE, type BinaryInfo } from '../../../ops/binary.js';
import type { ClipInfo, UnaryInfo } from '../../../ops/unary.js';
import { broadcastStrides, isContiguous } from '../../../shape.js';
import type { Tensor } from '../../../tensor.js';
import { allFloat32, fitsBinding, grid1d, no, Uniforms, type GpuKernel } from '../kernel.js';
import type { Program } from '../runtime.js';

const MAX_RANK = 8;
const CLIP_CODE = 12;

export function unaryProgram(code: number, contiguous: boolean): Program {
  return { name: 'unary_f32', files: ['float_bits', 'activation', 'unary'], constants: { OP: code, CONTIGUOUS: contiguous ? 1 : 0 }, bindings: ['read', 'write'] };
}

export function binaryProgram(code: number, contiguous: boolean): Program {
  return { name: 'binary_f32', files: ['float_bits', 'binary'], constants: { OP: code, CONTIGUOUS: contiguous ? 1 : 0 }, bindings: ['read', 'read', 'write'] };
}

function plain(t: Tensor, shape: readonly number[]): boolean {
  return t.offset === 0 && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) && isContiguous(t.shape, t.strides);
}

function elementwiseSupports(op: string, shape: readonly number[], info: { outputs: readonly { shape: readonly number[]; dtype: string }[] }, inputs: Parameters<GpuKernel['supports']>[1], limits: GPUSupportedLimits) {
  const f = allFloat32(op, inputs);
  if (!f.ok) return f;
  if (shape.length > MAX_RANK) return no(`${op} on webgpu handles rank <= ${MAX_RANK}, got ${shape.length}`);
  return fitsBinding(op, [...inputs, ...(info.outputs as never[])], limits);
}

async function runUnary(ctx: Parameters<GpuKernel['run']>[0], code: number, shape: readonly number[], x: Tensor, y: Tensor, lo = 0, hi = 0): Promise<void> {
  const count = y.size;
  const g = grid1d(count);
  const u = new Uniforms().vec4u(shape, 2, 1).vec4u(x.strides, 2, 0).u32(shape.length, x.offset, count, g.rowPitch).f32(lo, hi);
  await ctx.encode([{ program: unaryProgram(code, plain(x, shape)), buffers: [ctx.buffer(x), ctx.buffer(y)], uniforms: u.buffer, workgroups: g.workgroups }]);
}

export const unaryKernel: GpuKernel<UnaryInfo> = {
  supports: (info, inputs, limits) => elementwiseSupports(info.op, info.shape, info, inputs, limits),
  run: (ctx, info, [x], [y]) => runUnary(ctx, info.code, info.shape, x!, y!),
  programs: () => [unaryProgram(0, true), unaryProgram(0, false)],
};

export const clipKernel: GpuKernel<ClipInfo> = {
  supports: (info, inputs, limits) => elementwiseSupports('clip', info.shape, info, inputs, limits),
  run: (ctx, info, [x], [y]) => runUnary(ctx, CLIP_CODE, info.shape, x!, y!, info.min, info.max),
};

export const binaryKernel: GpuKernel<BinaryInfo> = {
  supports: (info, inputs, limits) => elementwiseSupports(info.op, info.shape, info, inputs, limits),
  async run(ctx, info, [a0, b0], [y]) {
    const a = a0!, b = b0!, shape = info.shape;
    const count = y!.size;
    const g = grid1d(count);
    const u = new Uniforms()
      .vec4u(shape, 2, 1).vec4u(broadcastStrides(a.shape, a.strides, shape), 2, 0).vec4u(broadcastStrides(b.shape, b.strides, shape), 2, 0)
      .u32(shape.length, a.offset, b.offset, count, g.rowPitch);
    const contiguous = plain(a, shape) && plain(b, shape);
    await ctx.encode([{ program: binaryProgram(BINARY_CODE[info.op], contiguous), buffers: [ctx.buffer(a), ctx.buffer(b), ctx.buffer(y!)], uniforms: u.buffer, workgroups: g.workgroups }]);
  },
  programs: () => [binaryProgram(0, true), binaryProgram(0, false), binaryProgram(2, false)],
};

export const elementwiseKernels: Readonly<Record<string, GpuKernel>> = {
  ...Object.fromEntries(['relu', 'sigmoid', 'tanh', 'gelu', 'exp', 'log', 'abs', 'neg', 'sqrt', 'erf', 'reciprocal'].map((n) => [n, unaryKernel])),
  clip: clipKernel,
  ...Object.fromEntries(Object.keys(BINARY_CODE).map((n) => [n, binaryKernel])),
};
