import type { GemmAttrs, GemmInfo } from '../../../ops/gemm.js';
import type { MatmulAttrs, MatmulInfo } from '../../../ops/matmul.js';
import { sizeOf } from '../../../shape.js';
import type { StridedView } from '../../../tensor.js';
import { ACTIVATION_CODE, allFloat32, isRowMajor, type CpuKernel } from './kernel.js';

/** Element offset of each broadcast batch of an operand (size-1 batch dims repeat). */
function batchOffsets(v: StridedView, rank: number, batch: readonly number[]): number[] {
  const nb = sizeOf(batch);
  const own = v.shape.length - 2;
  const offsets = new Array<number>(nb);
  const idx = new Array<number>(batch.length).fill(0);
  for (let b = 0; b < nb; b++) {
    let o = v.offset;
    for (let d = 0; d < own; d++) {
      const bd = batch.length - own + d;
      if (v.shape[d] !== 1) o += idx[bd]! * v.strides[d]!;
    }
    offsets[b] = o;
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d]! < batch[d]!) break;
      idx[d] = 0;
    }
  }
  void rank;
  return offsets;
}

export const matmulKernel: CpuKernel<MatmulAttrs, MatmulInfo> = {
  accepts: (_info, inputs) => allFloat32(inputs),
  run(addon, info, [a0, b0], [y], _attrs, sync) {
    const a = a0!, b = b0!;
    const { M, N, K, batch } = info;
    const out = y as Float32Array;
    // 1-D operands are seen as [1,K] / [K,1] views with a zero stride on the added dim.
    const av: StridedView = info.aPromoted ? { ...a, shape: [1, K], strides: [0, a.strides[0]!] } : a;
    const bv: StridedView = info.bPromoted ? { ...b, shape: [K, 1], strides: [b.strides[0]!, 0] } : b;
    const [ars, acs] = av.strides.slice(-2) as [number, number];
    const [brs, bcs] = bv.strides.slice(-2) as [number, number];
    const act = ACTIVATION_CODE[info.activation];
    const nb = sizeOf(batch);
    // b shared by every batch and a row-major: one tall GEMM of (batch*M) x K.
    if (nb > 1 && bv.shape.length === 2 && isRowMajor(av) && av.shape.length === batch.length + 2 && sizeOf(av.shape.slice(0, -2)) === nb) {
      return addon.gemm(nb * M, N, K, 1, av.data as Float32Array, av.offset, K, 1, bv.data as Float32Array, bv.offset, brs, bcs, 0, out, 0, N, null, null, act, sync);
    }
    if (nb === 1) {
      return addon.gemm(M, N, K, 1, av.data as Float32Array, av.offset, ars, acs, bv.data as Float32Array, bv.offset, brs, bcs, 0, out, 0, N, null, null, act, sync);
    }
    const aOffs = batchOffsets(av, av.shape.length, batch);
    const bOffs = batchOffsets(bv, bv.shape.length, batch);
    const cOffs = Array.from({ length: nb }, (_, i) => i * M * N);
    const done = addon.gemmBatched(M, N, K, 1, av.data as Float32Array, aOffs, ars, acs, bv.data as Float32Array, bOffs, brs, bcs, 0, out, cOffs, N, sync);
    if (act === 0) return done;
    // Batched GEMM has no epilogue: apply relu afterwards.
    const relu = () => addon.unary(0, out, 0, out.length, out, sync);
    return done ? done.then(relu) : relu();
  },
};

export const gemmKernel: CpuKernel<GemmAttrs, GemmInfo> = {
  accepts: (_info, inputs) => allFloat32(inputs),
  run(addon, info, [a0, b0, c], [y], _attrs, sync) {
    const a = a0!, b = b0!;
    const { M, N, K, alpha, beta } = info;
    const out = y as Float32Array;
    const [ars, acs] = info.transA ? [a.strides[1]!, a.strides[0]!] : [a.strides[0]!, a.strides[1]!];
    const [brs, bcs] = info.transB ? [b.strides[1]!, b.strides[0]!] : [b.strides[0]!, b.strides[1]!];
    const act = ACTIVATION_CODE[info.activation];
    const run = (betaArg: number, colBias: Float32Array | null) =>
      addon.gemm(M, N, K, alpha, a.data as Float32Array, a.offset, ars, acs, b.data as Float32Array, b.offset, brs, bcs, betaArg, out, 0, N, null, colBias, act, sync);
    if (!c || beta === 0) return run(0, null);
    // A row-vector C with beta 1 is the epilogue's column bias; otherwise C is broadcast into Y first.
    const cIsRow = (c.shape.length === 1 && c.shape[0] === N) || (c.shape.length === 2 && c.shape[0] === 1 && c.shape[1] === N);
    if (beta === 1 && cIsRow && c.strides[c.shape.length - 1] === 1) {
      return run(0, (c.data as Float32Array).subarray(c.offset, c.offset + N));
    }
    const cStrides = [c.shape.length === 2 && c.shape[0] !== 1 ? c.strides[0]! : 0, c.shape.length >= 1 && c.shape[c.shape.length - 1] !== 1 ? c.strides[c.shape.length - 1]! : 0];
    const copied = addon.copyStrided([M, N], cStrides, c.offset, c.data, out, sync);
    return copied ? copied.then(() => run(beta, null)) : run(beta, null);
  },
};
