// Eager pooling: maxPool2d (and maxPool2dWithIndices), avgPool2d, globalAvgPool, globalMaxPool.
import {
  avgPool2d as avgPool2dOp, globalAvgPool as globalAvgPoolOp, globalMaxPool as globalMaxPoolOp, maxPool2d as maxPool2dOp,
  type AvgPool2dAttrs, type GlobalPoolAttrs, type MaxPool2dAttrs,
} from '../ops/pool2d.js';
import { apply, apply1 } from '../runtime/eager.js';
import type { Tensor } from '../tensor.js';
import { placement } from './common.js';

export type MaxPool2dOptions = Omit<MaxPool2dAttrs, 'returnIndices'>;
export type AvgPool2dOptions = AvgPool2dAttrs;
export type GlobalPoolOptions = GlobalPoolAttrs;

/** ONNX MaxPool on NCHW input: { kernelShape, strides?, pads?, dilations?, ceilMode?, autoPad? }. */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  return apply1(maxPool2dOp, [x], { ...options, returnIndices: false }, placement(options));
}

/**
 * MaxPool with ONNX's second output: [values, indices], indices int64 flat into x
 * ((n*C + c)*H*W + h*W + w; with storageOrder 1, h + w*H for the last part).
 */
export function maxPool2dWithIndices(x: Tensor, options: MaxPool2dOptions): [Tensor, Tensor] {
  const [values, indices] = apply(maxPool2dOp, [x], { ...options, returnIndices: true }, placement(options));
  return [values!, indices!];
}

/** ONNX AveragePool on NCHW input; countIncludePad counts the padded cells in the divisor. */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  return apply1(avgPool2dOp, [x], options, placement(options));
}

/** Mean over every spatial dim: [N,C,...] -> [N,C,1,...]. */
export function globalAvgPool(x: Tensor, options?: GlobalPoolOptions): Tensor {
  return apply1(globalAvgPoolOp, [x], options ?? {}, placement(options));
}

/** Maximum over every spatial dim: [N,C,...] -> [N,C,1,...]. */
export function globalMaxPool(x: Tensor, options?: GlobalPoolOptions): Tensor {
  return apply1(globalMaxPoolOp, [x], options ?? {}, placement(options));
}
