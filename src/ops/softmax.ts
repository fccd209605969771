import { bytesPerElement, elementWriter, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { forEachIndex, normalizeAxis, sizeOf } from '../shape.js';
import { knownKeys, requireFloat, requireInput } from './attrs.js';
import { defineOp, outputOf, rawReader, type OpDef, type OpInfo } from './op.js';

export interface SoftmaxAttrs {
  /** The axis normalised over (negative counts from the end; default -1). */
  axis?: number;
  device?: string;
}

export interface SoftmaxInfo extends OpInfo {
  readonly log: boolean;
  /** Normalised axis. */
  readonly axis: number;
  /** x seen as [outer, axisLength, inner] (row-major). */
  readonly outer: number;
  readonly axisLength: number;
  readonly inner: number;
  readonly dtype: DType;
}

/** ONNX Softmax / LogSoftmax, opset 13: along one axis, shifted by the max for stability. */
function defineSoftmax(name: 'softmax' | 'logSoftmax'): OpDef<SoftmaxAttrs, SoftmaxInfo> {
  const log = name === 'logSoftmax';
  return defineOp<SoftmaxAttrs, SoftmaxInfo>({
    name,
    infer(inputs, attrs) {
      knownKeys(name, attrs, ['axis', 'device']);
      const x = requireInput(name, 'x', inputs[0]);
      requireFloat(name, 'x', x);
      if (x.shape.length === 0) fail('SHAPE_MISMATCH', name, 'x rank', 'at least 1', '0 (a scalar)');
      const axis = normalizeAxis(name, 'axis', attrs?.axis ?? -1, x.shape.length);
      return Object.freeze({
        outputs: outputOf(x.shape, x.dtype), log, axis,
        outer: sizeOf(x.shape.slice(0, axis)), axisLength: x.shape[axis]!, inner: sizeOf(x.shape.slice(axis + 1)), dtype: x.dtype,
      });
    },
    cost(info) {
      const n = info.outer * info.axisLength * info.inner;
      return { flops: 5 * n, bytes: 2 * bytesPerElement(info.dtype) * n };
    },
    reference(info, [x0], [y]) {
      const x = x0!;
      const { axis, axisLength: L, inner } = info;
      const read = rawReader(x);
      const write = elementWriter(info.dtype);
      const out = y as unknown as Array<number | bigint>;
      const dims = [...x.shape.keys()].filter((d) => d !== axis);
      const s = x.strides[axis]!;
      const row = new Float64Array(L);
      let k = 0;
      forEachIndex(dims.map((d) => x.shape[d]!), dims.map((d) => x.strides[d]!), x.offset, (base) => {
        let max = -Infinity;
        for (let i = 0; i < L; i++) {
          row[i] = read(base + i * s);
          max = Math.max(max, row[i]!); // NaN propagates
        }
        let sum = 0;
        for (let i = 0; i < L; i++) sum += Math.exp(row[i]! - max);
        const first = Math.floor(k / inner) * L * inner + (k % inner);
        for (let i = 0; i < L; i++) {
          const v = log ? row[i]! - max - Math.log(sum) : Math.exp(row[i]! - max) / sum;
          out[first + i * inner] = write(v);
        }
        k++;
      });
    },
  });
}

export const softmax = defineSoftmax('softmax');
export const logSoftmax = defineSoftmax('logSoftmax');
