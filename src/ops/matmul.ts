import type { DType } from '../dtype.js';
import { fail, show } from '../errors.js';
import { broadcastShapes, sizeOf } from '../shape.js';
import { activation, precision, knownKeys, requireInput, requireNumeric, requireSameDType, type FusedActivation, type Precision } from './attrs.js';
import { defineOp, offsetOf, outputOf, rawReader, type OpInfo } from './op.js';
import { bytesPerElement, elementWriter } from '../dtype.js';

export interface MatmulAttrs {
  /** Internal: set by the graph's fusion pass. */
  activation?: FusedActivation;
  /** float32 arithmetic: 'highest' (default) or 'tf32' (TF32 tensor cores where a device has them). */
  precision?: Precision;
  device?: string;
}

export interface MatmulInfo extends OpInfo {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** Broadcast batch shape. */
  readonly batch: readonly number[];
  /** Inputs as seen by the kernel: 1-D operands promoted ([K] -> [1,K] for a, [K,1] for b). */
  readonly aPromoted: boolean;
  readonly bPromoted: boolean;
  readonly dtype: DType;
  readonly activation: FusedActivation;
  /** As asked (undefined: the device's default). */
  readonly precision: Precision | undefined;
}

/** numpy matmul: batched, batch dims broadcast, 1-D operands promoted and the added dim removed. */
export const matmul = defineOp<MatmulAttrs, MatmulInfo>({
  name: 'matmul',
  infer(inputs, attrs) {
    knownKeys('matmul', attrs, ['precision', 'activation', 'device']);
    const a = requireInput('matmul', 'a', inputs[0]);
    const b = requireInput('matmul', 'b', inputs[1]);
    requireNumeric('matmul', 'a', a);
    requireSameDType('matmul', 'b', b, a.dtype);
    if (a.shape.length === 0 || b.shape.length === 0) {
      fail('SHAPE_MISMATCH', 'matmul', 'operands', 'at least 1-D', `${show(a.shape)} and ${show(b.shape)}`);
    }
    const aPromoted = a.shape.length === 1;
    const bPromoted = b.shape.length === 1;
    const as = aPromoted ? [1, a.shape[0]!] : a.shape;
    const bs = bPromoted ? [b.shape[0]!, 1] : b.shape;
    const M = as[as.length - 2]!, K = as[as.length - 1]!;
    const Kb = bs[bs.length - 2]!, N = bs[bs.length - 1]!;
    if (K !== Kb) {
      fail('SHAPE_MISMATCH', 'matmul', `b rows (b ${show(b.shape)})`, `${K} (the columns of a ${show(a.shape)})`, Kb);
    }
    const batch = broadcastShapes('matmul', as.slice(0, -2), bs.slice(0, -2));
    const out = [...batch, ...(aPromoted ? [] : [M]), ...(bPromoted ? [] : [N])];
    return Object.freeze({
      outputs: outputOf(out, a.dtype), M, N, K, batch: Object.freeze(batch), aPromoted, bPromoted, dtype: a.dtype,
      activation: activation('matmul', attrs?.activation), precision: precision('matmul', attrs?.precision),
    });
  },
  cost(info) {
    const batch = sizeOf(info.batch);
    return { flops: 2 * batch * info.M * info.N * info.K, bytes: bytesPerElement(info.dtype) * batch * (info.M * info.K + info.K * info.N + info.M * info.N) };
  },
  reference(info, [a, b], [y]) {
    const { M, N, K, batch } = info;
    const aShape = info.aPromoted ? [1, a!.shape[0]!] : a!.shape;
    const bShape = info.bPromoted ? [b!.shape[0]!, 1] : b!.shape;
    const aView = { ...a!, shape: aShape, strides: info.aPromoted ? [0, a!.strides[0]!] : a!.strides };
    const bView = { ...b!, shape: bShape, strides: info.bPromoted ? [b!.strides[0]!, 0] : b!.strides };
    const write = elementWriter(info.dtype);
    const readA = rawReader(a!);
    const readB = rawReader(b!);
    const out = y as unknown as Array<number | bigint>;
    const nb = sizeOf(batch);
    const idx = new Array<number>(batch.length).fill(0);
    const row = new Float64Array(N);
    for (let bi = 0; bi < nb; bi++) {
      let rem = bi;
      for (let d = batch.length - 1; d >= 0; d--) {
        idx[d] = rem % batch[d]!;
        rem = Math.floor(rem / batch[d]!);
      }
      const aBase = offsetOf(aView, batchIndex(idx, aShape.length - 2, aShape));
      const bBase = offsetOf(bView, batchIndex(idx, bShape.length - 2, bShape));
      const [ars, acs] = aView.strides.slice(-2) as [number, number];
      const [brs, bcs] = bView.strides.slice(-2) as [number, number];
      for (let i = 0; i < M; i++) {
        row.fill(0);
        for (let k = 0; k < K; k++) {
          const av = readA(aBase + i * ars + k * acs);
          if (av === 0) continue;
          const bk = bBase + k * brs;
          for (let j = 0; j < N; j++) row[j]! += av * readB(bk + j * bcs);
        }
        for (let j = 0; j < N; j++) {
          const v = info.activation === 'relu' && row[j]! < 0 ? 0 : row[j]!;
          out[(bi * M + i) * N + j] = write(v);
        }
      }
    }
  },
});

/** Maps a broadcast batch index to an operand's own batch index (size-1 dims read index 0). */
function batchIndex(idx: readonly number[], rank: number, shape: readonly number[]): number[] {
  const out = new Array<number>(rank);
  for (let d = 0; d < rank; d++) {
    const o = idx.length - rank + d;
    out[d] = shape[d] === 1 ? 0 : idx[o]!;
  }
  return out;
}
