// matmul (numpy) and gemm (ONNX) on the shared GEMM tile core: kernels/wgsl/gemm_tile.wgsl + matmul.wgsl.
import type { GemmInfo } from '../../../ops/gemm.js';
import type { MatmulInfo } from '../../../ops/matmul.js';
import type { Tensor } from '../../../tensor.js';
import { allFloat32, fitsBinding, no, pad4, Uniforms, type GpuKernel } from '../kernel.js';
import type { Program } from '../runtime.js';

const TILE = 64;
const ACT = { none: 0, relu: 1 } as const;

export function matmulProgram(hasC: boolean, act: 'none' | 'relu', bVec4 = false): Program {
  return {
    name: bVec4 ? 'matmul_f32_tiled_vec4' : 'matmul_f32_tiled', files: ['gemm_tile', bVec4 ? 'matmul_b_vec4' : 'matmul_b_scalar', 'matmul'],
    constants: { HAS_C: hasC ? 1 : 0, ACT: ACT[act] }, bindings: ['read', 'read', 'read', 'write'],
  };
}

/** B can be read as vec4: contiguous columns, and N, the row stride, batch strides and offset multiples of 4. */
function vec4Aligned(N: number, offset: number, rowStride: number, colStride: number, batchStrides: readonly number[]): boolean {
  return colStride === 1 && N % 4 === 0 && offset % 4 === 0 && rowStride % 4 === 0 && batchStrides.every((s) => s % 4 === 0);
}

/** Batch dims of an operand, aligned right to the broadcast batch: strides (0 where broadcast). */
function batchStrides(t: Tensor, ownBatchRank: number, batch: readonly number[]): number[] {
  const out = new Array<number>(batch.length).fill(0);
  for (let d = 0; d < ownBatchRank; d++) {
    const o = batch.length - ownBatchRank + d;
    out[o] = t.shape[d] === 1 ? 0 : t.strides[d]!;
  }
  return out;
}

export const matmulKernel: GpuKernel<MatmulInfo> = {
  supports(info, inputs, limits) {
    const f = allFloat32('matmul', inputs);
    if (!f.ok) return f;
    if (info.batch.length > 4) return no(`matmul on webgpu handles at most 4 batch dims, got ${info.batch.length}`);
    const nb = info.batch.reduce((x, y) => x * y, 1);
    const max = limits.maxComputeWorkgroupsPerDimension;
    if (nb > max) return no(`matmul on webgpu handles at most ${max} batches, got ${nb}`);
    if (Math.ceil(info.M / TILE) > max || Math.ceil(info.N / TILE) > max) return no(`matmul on webgpu: M and N must be at most ${max * TILE}`);
    return fitsBinding('matmul', [...inputs, ...info.outputs], limits);
  },
  async run(ctx, info, [a0, b0], [y]) {
    const a = a0!, b = b0!;
    const { M, N, K, batch } = info;
    const aRank = info.aPromoted ? 2 : a.rank, bRank = info.bPromoted ? 2 : b.rank;
    const [ars, acs] = info.aPromoted ? [0, a.strides[0]!] : [a.strides[a.rank - 2]!, a.strides[a.rank - 1]!];
    const [brs, bcs] = info.bPromoted ? [b.strides[0]!, 0] : [b.strides[b.rank - 2]!, b.strides[b.rank - 1]!];
    const nb = batch.reduce((x, z) => x * z, 1);
    const bBatch = batchStrides(b, bRank - 2, batch);
    const vec4 = !info.bPromoted && vec4Aligned(N, b.offset, brs, bcs, bBatch);
    const u = new Uniforms()
      .vec4u(pad4(batch, 1), 1)
      .vec4u(pad4(batchStrides(a, aRank - 2, batch), 0), 1)
      .vec4u(pad4(bBatch, 0), 1)
      .u32(M, N, K, a.offset, ars, acs, b.offset, brs, bcs, 0, 0, 0)
      .f32(1, 0);
    const ab = ctx.buffer(a);
    await ctx.encode([{
      program: matmulProgram(false, info.activation, vec4), buffers: [ab, ctx.buffer(b), ab, ctx.buffer(y!)], uniforms: u.buffer,
      workgroups: [Math.ceil(N / TILE), Math.ceil(M / TILE), nb],
    }]);
  },
  programs: () => [matmulProgram(false, 'none'), matmulProgram(false, 'none', true), matmulProgram(false, 'relu', true)],
};

export const gemmKernel: GpuKernel<GemmInfo> = {
  supports(info, inputs, limits) {
    const f = allFloat32('gemm', inputs);
    if (!f.ok) return f;
    const max = limits.maxComputeWorkgroupsPerDimension;
    if (Math.ceil(info.M / TILE) > max || Math.ceil(info.N / TILE) > max) return no(`gemm on webgpu: M and N must be at most ${max * TILE}`);
    return fitsBinding('gemm', [...inputs, ...info.outputs], limits);
  },
  async run(ctx, info, [a0, b0, c], [y]) {
    const a = a0!, b = b0!;
    const { M, N, K } = info;
    const [ars, acs] = info.transA ? [a.strides[1]!, a.strides[0]!] : [a.strides[0]!, a.strides[1]!];
    const [brs, bcs] = info.transB ? [b.strides[1]!, b.strides[0]!] : [b.strides[0]!, b.strides[1]!];
    const hasC = c !== undefined && info.beta !== 0;
    let crs = 0, ccs = 0;
    if (c && hasC) {
      if (c.rank === 2) [crs, ccs] = [c.shape[0] === 1 ? 0 : c.strides[0]!, c.shape[1] === 1 ? 0 : c.strides[1]!];
      else if (c.rank === 1) ccs = c.shape[0] === 1 ? 0 : c.strides[0]!;
    }
    const u = new Uniforms()
      .vec4u([1, 1, 1, 1], 1).vec4u([0, 0, 0, 0], 1).vec4u([0, 0, 0, 0], 1)
      .u32(M, N, K, a.offset, ars, acs, b.offset, brs, bcs, hasC ? c!.offset : 0, crs, ccs)
      .f32(info.alpha, info.beta);
    const ab = ctx.buffer(a);
    const vec4 = vec4Aligned(N, b.offset, brs, bcs, []);
    await ctx.encode([{
      program: matmulProgram(hasC, info.activation, vec4), buffers: [ab, ctx.buffer(b), hasC ? ctx.buffer(c!) : ab, ctx.buffer(y!)], uniforms: u.buffer,
      workgroups: [Math.ceil(N / TILE), Math.ceil(M / TILE), 1],
    }]);
  },
  programs: () => [matmulProgram(true, 'none', true), matmulProgram(true, 'none')],
};
