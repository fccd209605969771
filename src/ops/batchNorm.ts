import { bytesPerElement, elementWriter, type DType } from '../dtype.js';
import { fail, show } from '../errors.js';
import { forEachIndex, sizeOf } from '../shape.js';
import { knownKeys, number, requireFloat, requireInput, requireSameDType } from './attrs.js';
import { at, defineOp, outputOf, rawReader, type OpInfo } from './op.js';

export interface BatchNormAttrs {
  /** Added to the variance before the square root (default 1e-5, as ONNX). */
  epsilon?: number;
  device?: string;
}

export interface BatchNormInfo extends OpInfo {
  /** x seen as [N, C, spatial] (row-major). */
  readonly N: number;
  readonly C: number;
  readonly spatial: number;
  readonly epsilon: number;
  readonly dtype: DType;
}

const PARAMS = ['scale', 'bias', 'mean', 'variance'] as const;

/**
 * ONNX BatchNormalization, inference mode: y = (x - mean[c]) / sqrt(variance[c] + epsilon) * scale[c] + bias[c]
 * for x [N, C, ...spatial] and each parameter [C].
 */
export const batchNorm = defineOp<BatchNormAttrs, BatchNormInfo>({
  name: 'batchNorm',
  infer(inputs, attrs) {
    const op = 'batchNorm';
    knownKeys(op, attrs, ['epsilon', 'device']);
    const x = requireInput(op, 'x', inputs[0]);
    requireFloat(op, 'x', x);
    if (x.shape.length < 2) fail('SHAPE_MISMATCH', op, 'x rank', 'at least 2 (N, C, ...spatial)', `${x.shape.length} (shape ${show(x.shape)})`);
    const C = x.shape[1]!;
    PARAMS.forEach((name, i) => {
      const p = requireInput(op, name, inputs[i + 1]);
      requireSameDType(op, name, p, x.dtype);
      if (p.shape.length !== 1 || p.shape[0] !== C) fail('SHAPE_MISMATCH', op, `${name} shape`, `[${C}] (the channels of x ${show(x.shape)})`, p.shape);
    });
    const epsilon = number(op, 'epsilon', attrs?.epsilon, 1e-5);
    if (!(epsilon >= 0) || !Number.isFinite(epsilon)) fail('BAD_ATTRIBUTE', op, 'epsilon', 'a finite number >= 0', epsilon);
    return Object.freeze({
      outputs: outputOf(x.shape, x.dtype), N: x.shape[0]!, C, spatial: sizeOf(x.shape.slice(2)), epsilon, dtype: x.dtype,
    });
  },
  cost({ N, C, spatial, dtype }) {
    const n = N * C * spatial;
    return { flops: 2 * n, bytes: bytesPerElement(dtype) * (2 * n + 4 * C) };
  },
  reference(info, [x0, scale, bias, mean, variance], [y0]) {
    const x = x0!;
    const { C, spatial } = info;
    const read = rawReader(x);
    const write = elementWriter(info.dtype);
    const out = y0 as unknown as Array<number | bigint>;
    const [s, b, m, v] = [scale, bias, mean, variance].map((p) => Float64Array.from({ length: C }, (_, c) => at(p!, [c])));
    let k = 0;
    forEachIndex(x.shape, x.strides, x.offset, (i) => {
      const c = Math.floor(k / spatial) % C;
      const y = ((read(i) - m![c]!) / Math.sqrt(v![c]! + info.epsilon)) * s![c]! + b![c]!;
      out[k++] = write(y);
    });
  },
});
