// matmul (numpy) and gemm (ONNX): kernels/wgsl/matmul.wgsl on the shared GEMM tile core (gemm_tile.wgsl),
// its tile height chosen by M, or on the skinny core (gemv.wgsl) when M is a few rows. float32, or
// float16 buffers (shader-f16) with the same f32 cores: products summed in f32, the result rounded once.
import type { DType } from '../../../dtype.js';
import type { GemmInfo } from '../../../ops/gemm.js';
import type { MatmulInfo } from '../../../ops/matmul.js';
import type { Tensor } from '../../../tensor.js';
import { allFloat32Or16, fitsBinding, no, pad4, storageType, Uniforms, type GpuKernel } from '../kernel.js';
import type { Program } from '../runtime.js';
import { TILE_N, tilePlaceholders, tileRowsFor, type TileRows } from './gemmTile.js';

const ACT = { none: 0, relu: 1 } as const;
/** Up to this many rows, the skinny core (each invocation: all rows x 4 columns) beats any tile. */
const SKINNY_M = 4;

/** How an MxN output is cut: register-blocked tiles of (4*rows) x 64, or skinny column strips of `rows` rows. */
export type MatmulShape = { core: 'tile'; rows: TileRows } | { core: 'skinny'; rows: 1 | 2 | 4 };

export function matmulShape(M: number): MatmulShape {
  if (M <= SKINNY_M) return { core: 'skinny', rows: M <= 1 ? 1 : M <= 2 ? 2 : 4 };
  return { core: 'tile', rows: tileRowsFor(M) };
}

/** Workgroups for an MxN output in `nb` batches. */
function matmulGrid(shape: MatmulShape, M: number, N: number, nb: number): [number, number, number] {
  return shape.core === 'skinny'
    ? [Math.ceil(N / 256), Math.ceil(M / shape.rows), nb]
    : [Math.ceil(N / TILE_N), Math.ceil(M / (4 * shape.rows)), nb];
}

export function matmulProgram(hasC: boolean, act: 'none' | 'relu', bVec4 = false, shape: MatmulShape = { core: 'tile', rows: 16 }, dtype: DType = 'float32'): Program {
  const b = bVec4 ? 'matmul_b_vec4' : 'matmul_b_scalar';
  const constants = { HAS_C: hasC ? 1 : 0, ACT: ACT[act] };
  const bindings = ['read', 'read', 'read', 'write'] as const;
  const vec4 = bVec4 ? '_vec4' : '';
  const { T, prefix } = storageType(dtype);
  if (shape.core === 'skinny') {
    return { name: `matmul_${T}_skinny${vec4}`, files: [...prefix, 'gemv', b, 'matmul'], placeholders: { T }, constants: { ...constants, ROWS: shape.rows }, bindings };
  }
  return {
    name: `matmul_${T}_tiled${vec4}_r${shape.rows}`, files: [...prefix, 'gemm_tile', b, 'matmul'], placeholders: { ...tilePlaceholders(shape.rows), T },
    constants, bindings,
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
  supports(info, inputs, limits, features) {
    const f = allFloat32Or16('matmul', inputs, features);
    if (!f.ok) return f;
    if (info.batch.length > 4) return no(`matmul on webgpu handles at most 4 batch dims, got ${info.batch.length}`);
    const nb = info.batch.reduce((x, y) => x * y, 1);
    const max = limits.maxComputeWorkgroupsPerDimension;
    if (nb > max) return no(`matmul on webgpu handles at most ${max} batches, got ${nb}`);
    const [gx, gy] = matmulGrid(matmulShape(info.M), info.M, info.N, 1);
    if (gx > max || gy > max) return no(`matmul on webgpu: M and N must be at most ${max * TILE_N}`);
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
    const shape = matmulShape(M);
    await ctx.encode([{
      program: matmulProgram(false, info.activation, vec4, shape, info.dtype), buffers: [ab, ctx.buffer(b), ab, ctx.buffer(y!)], uniforms: u.buffer,
      workgroups: matmulGrid(shape, M, N, nb),
    }]);
  },
  programs: () => [matmulProgram(false, 'none'), matmulProgram(false, 'none', true), matmulProgram(false, 'relu', true)],
};

export const gemmKernel: GpuKernel<GemmInfo> = {
  supports(info, inputs, limits, features) {
    const f = allFloat32Or16('gemm', inputs, features);
    if (!f.ok) return f;
    const max = limits.maxComputeWorkgroupsPerDimension;
    const [gx, gy] = matmulGrid(matmulShape(info.M), info.M, info.N, 1);
    if (gx > max || gy > max) return no(`gemm on webgpu: M and N must be at most ${max * TILE_N}`);
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
    const shape = matmulShape(M);
    await ctx.encode([{
      program: matmulProgram(hasC, info.activation, vec4, shape, info.dtype), buffers: [ab, ctx.buffer(b), hasC ? ctx.buffer(c!) : ab, ctx.buffer(y!)], uniforms: u.buffer,
      workgroups: matmulGrid(shape, M, N, 1),
    }]);
  },
  programs: () => [matmulProgram(true, 'none', true), matmulProgram(true, 'none')],
};
