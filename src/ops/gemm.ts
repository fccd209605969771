import { bytesPerElement, elementWriter, type DType } from '../dtype.js';
import { fail, show } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import { activation, boolean, precision, knownKeys, number, requireInput, requireNumeric, requireRank, requireSameDType, type FusedActivation, type Precision } from './attrs.js';
import { defineOp, offsetOf, outputOf, rawReader, type OpInfo } from './op.js';

export interface GemmAttrs {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  activation?: FusedActivation;
  /** float32 arithmetic: 'highest' (default) or 'tf32' (TF32 tensor cores where a device has them). */
  precision?: Precision;
  device?: string;
}

export interface GemmInfo extends OpInfo {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly alpha: number;
  readonly beta: number;
  readonly hasC: boolean;
  readonly dtype: DType;
  readonly activation: FusedActivation;
  /** As asked (undefined: the device's default). */
  readonly precision: Precision | undefined;
}

/** ONNX Gemm: Y = alpha * op(A) * op(B) + beta * C, C unidirectionally broadcast to [M, N]. */
export const gemm = defineOp<GemmAttrs, GemmInfo>({
  name: 'gemm',
  infer(inputs, attrs) {
    knownKeys('gemm', attrs, ['precision', 'transA', 'transB', 'alpha', 'beta', 'activation', 'device']);
    const a = requireInput('gemm', 'a', inputs[0]);
    const b = requireInput('gemm', 'b', inputs[1]);
    const c = inputs[2];
    requireRank('gemm', 'a', a, 2);
    requireRank('gemm', 'b', b, 2);
    requireNumeric('gemm', 'a', a);
    requireSameDType('gemm', 'b', b, a.dtype);
    const transA = boolean('gemm', 'transA', attrs?.transA, false);
    const transB = boolean('gemm', 'transB', attrs?.transB, false);
    const [M, K] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [Kb, N] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (K !== Kb) fail('SHAPE_MISMATCH', 'gemm', `inner dimension of b (b ${show(b.shape)}, transB=${transB})`, `${K} (from a ${show(a.shape)}, transA=${transA})`, Kb);
    if (c) {
      requireSameDType('gemm', 'c', c, a.dtype);
      if (c.shape.length > 2) fail('SHAPE_MISMATCH', 'gemm', 'c rank', 'at most 2', c.shape.length);
      const out = broadcastShapes('gemm', [M, N], c.shape);
      if (out[0] !== M || out[1] !== N) fail('SHAPE_MISMATCH', 'gemm', 'c shape', `unidirectionally broadcastable to [${M},${N}]`, c.shape);
    }
    return Object.freeze({
      outputs: outputOf([M, N], a.dtype), M, N, K, transA, transB,
      alpha: number('gemm', 'alpha', attrs?.alpha, 1), beta: number('gemm', 'beta', attrs?.beta, 1),
      hasC: c !== undefined, dtype: a.dtype, activation: activation('gemm', attrs?.activation), precision: precision('gemm', attrs?.precision),
    });
  },
  cost({ M, N, K, dtype }) {
    return { flops: 2 * M * N * K, bytes: bytesPerElement(dtype) * (M * K + K * N + 2 * M * N) };
  },
  reference(info, [a, b, c], [y]) {
    const { M, N, K, transA, transB, alpha, beta } = info;
    const readA = rawReader(a!), readB = rawReader(b!);
    const [ars, acs] = transA ? [a!.strides[1]!, a!.strides[0]!] : [a!.strides[0]!, a!.strides[1]!];
    const [brs, bcs] = transB ? [b!.strides[1]!, b!.strides[0]!] : [b!.strides[0]!, b!.strides[1]!];
    const write = elementWriter(info.dtype);
    const out = y as unknown as Array<number | bigint>;
    const readC = c ? rawReader(c) : undefined;
    const cRank = c?.shape.length ?? 0;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += readA(a!.offset + i * ars + k * acs) * readB(b!.offset + k * brs + j * bcs);
        let v = alpha * acc;
        if (c && readC) {
          const ci = cRank === 2 ? [c.shape[0] === 1 ? 0 : i, c.shape[1] === 1 ? 0 : j] : cRank === 1 ? [c.shape[0] === 1 ? 0 : j] : [];
          v += beta * readC(offsetOf(c, ci));
        }
        if (info.activation === 'relu' && v < 0) v = 0;
        out[i * N + j] = write(v);
      }
    }
  },
});
