// matmul / gemm on the CUDA GEMM (kernels/cuda/gemm.cu): operands are read through their strides
// (transposes and broadcast batches need no copy). float32 runs fp32 FMA, or TF32 tensor cores when
// the op's precision (else the backend's default) is 'tf32'; float16 runs fp16 tensor cores with
// fp32 accumulation.
import type { GemmInfo } from '../../../ops/gemm.js';
import type { MatmulInfo } from '../../../ops/matmul.js';
import type { Tensor, TensorMeta } from '../../../tensor.js';
import { ACTIVATION_CODE, all, no, ok, rankAtMost, type CudaContext, type CudaKernel } from '../kernel.js';

/** kernels/cuda/gemm.h: batch dims the kernel walks. */
const MAX_BATCH = 4;

const DTYPE_CODE: Record<string, number> = { float32: 0, float16: 1 };

function gemmDType(op: string, inputs: readonly (TensorMeta | undefined)[]) {
  const bad = inputs.find((t) => t && DTYPE_CODE[t.dtype] === undefined);
  return bad ? no(`${op} on cuda needs float32 or float16 inputs, got ${bad.dtype}`) : ok;
}

/** The op's precision when it asks for one, else the backend's default (LEPTON_CUDA_PRECISION). */
function precisionCode(ctx: CudaContext, info: { precision?: string }): number {
  return (info.precision ?? ctx.precision) === 'tf32' ? 1 : 0;
}

/** ints for cudaGemm (see src/native.ts). */
function gemmInts(M: number, N: number, K: number, a: readonly number[], b: readonly number[], act: number, dtype: number,
  precision: number, batch: readonly number[], aBatch: readonly number[], bBatch: readonly number[]): number[] {
  const pad = (v: readonly number[]) => [...v, ...new Array<number>(MAX_BATCH - v.length).fill(0)];
  return [M, N, K, a[0]!, a[1]!, b[0]!, b[1]!, N, act, dtype, precision, batch.length, ...pad(batch), ...pad(aBatch), ...pad(bBatch)];
}

/** An operand's stride for each broadcast batch dim (0 where it broadcasts or lacks the dim). */
function batchStrides(t: Tensor, own: number, batch: readonly number[]): number[] {
  return batch.map((_, d) => {
    const od = d - (batch.length - own);
    return od >= 0 && t.shape[od] !== 1 ? t.strides[od]! : 0;
  });
}

export const matmulKernel: CudaKernel<MatmulInfo> = {
  supports: (info, inputs) => all(gemmDType('matmul', inputs), rankAtMost('matmul', inputs, MAX_BATCH + 2),
    info.batch.length <= MAX_BATCH ? ok : no(`matmul on cuda broadcasts at most ${MAX_BATCH} batch dims, got ${info.batch.length}`)),
  async run(ctx, info, [a, b], [y]) {
    const { M, N, K, batch } = info;
    // 1-D operands: [K] as [1, K] (a) or [K, 1] (b), with a 0 stride on the added dim.
    const aMat = info.aPromoted ? [0, a!.strides[0]!] : a!.strides.slice(-2);
    const bMat = info.bPromoted ? [b!.strides[0]!, 0] : b!.strides.slice(-2);
    const aBatch = batchStrides(a!, info.aPromoted ? 0 : a!.rank - 2, batch);
    const bBatch = batchStrides(b!, info.bPromoted ? 0 : b!.rank - 2, batch);
    const ar = ctx.ref(a!), br = ctx.ref(b!), yr = ctx.ref(y!);
    const ints = gemmInts(M, N, K, aMat, bMat, ACTIVATION_CODE[info.activation], DTYPE_CODE[info.dtype]!, precisionCode(ctx, info), batch, aBatch, bBatch);
    await ctx.addon.cudaGemm(ctx.device, ints, 1, 0, ar.id, ar.offset, br.id, br.offset, yr.id, yr.offset, -1, 0, -1, 0);
  },
};

export const gemmKernel: CudaKernel<GemmInfo> = {
  supports: (_info, inputs) => all(gemmDType('gemm', inputs), rankAtMost('gemm', inputs, 2)),
  async run(ctx, info, [a, b, c], [y]) {
    const { M, N, K, alpha, beta } = info;
    const aMat = info.transA ? [a!.strides[1]!, a!.strides[0]!] : [a!.strides[0]!, a!.strides[1]!];
    const bMat = info.transB ? [b!.strides[1]!, b!.strides[0]!] : [b!.strides[0]!, b!.strides[1]!];
    const ar = ctx.ref(a!), br = ctx.ref(b!), yr = ctx.ref(y!);
    const act = ACTIVATION_CODE[info.activation];
    const launch = (betaArg: number, colBias: { id: number; offset: number } | undefined) => ctx.addon.cudaGemm(ctx.device,
      gemmInts(M, N, K, aMat, bMat, act, DTYPE_CODE[info.dtype]!, precisionCode(ctx, info), [], [], []), alpha, betaArg,
      ar.id, ar.offset, br.id, br.offset, yr.id, yr.offset, -1, 0, colBias?.id ?? -1, colBias?.offset ?? 0);
    if (!c || beta === 0) return launch(0, undefined);
    // A float32 row-vector C with beta 1 is the epilogue's column bias; otherwise C is broadcast into Y first.
    const cIsRow = (c.rank === 1 && c.shape[0] === N) || (c.rank === 2 && c.shape[0] === 1 && c.shape[1] === N);
    if (beta === 1 && cIsRow && c.strides[c.rank - 1] === 1 && info.dtype === 'float32') return launch(0, ctx.ref(c));
    const cr = ctx.ref(c);
    const cStrides = [c.rank === 2 && c.shape[0] !== 1 ? c.strides[0]! : 0, c.rank >= 1 && c.shape[c.rank - 1] !== 1 ? c.strides[c.rank - 1]! : 0];
    await ctx.addon.cudaCopy(ctx.device, info.dtype === 'float32' ? 4 : 2, [M, N], cStrides, cr.id, cr.offset, [N, 1], yr.id, yr.offset);
    await launch(beta, undefined);
  },
};
