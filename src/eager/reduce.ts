// Eager reductions (lc.sum, lc.mean, ...) and arg-reductions (lc.argmax, lc.argmin).
import { argmax as argmaxOp, argmin as argminOp, type ArgReduceAttrs } from '../ops/argReduce.js';
import { reduceOps, type ReduceAttrs, type ReduceKind } from '../ops/reduce.js';
import { apply1 } from '../runtime/eager.js';
import type { Tensor } from '../tensor.js';
import { placement } from './common.js';

export type ReduceOptions = ReduceAttrs;
export type ArgReduceOptions = ArgReduceAttrs;

function reduceWith(kind: ReduceKind) {
  return (x: Tensor, options?: ReduceOptions): Tensor => apply1(reduceOps[kind], [x], options ?? {}, placement(options));
}

/** Sum over `axes` (all by default); keepdims defaults to true, as ONNX. */
export const sum = reduceWith('sum');
/** Arithmetic mean (NaN over an empty set). */
export const mean = reduceWith('mean');
/** Maximum (NaN if any element is NaN; -inf over an empty set). */
export const max = reduceWith('max');
/** Minimum (NaN if any element is NaN; +inf over an empty set). */
export const min = reduceWith('min');
export const prod = reduceWith('prod');
/** Sum of squares. */
export const sumSquare = reduceWith('sumSquare');
/** Sum of absolute values. */
export const l1 = reduceWith('l1');
/** Square root of the sum of squares. */
export const l2 = reduceWith('l2');
/** log(sum(exp(x))), computed stably. */
export const logSumExp = reduceWith('logSumExp');
/** log(sum(x)). */
export const logSum = reduceWith('logSum');

/** Index of the maximum along `axis` (default 0), as an int64 tensor; first index on ties unless selectLastIndex. */
export function argmax(x: Tensor, options?: ArgReduceOptions): Tensor {
  return apply1(argmaxOp, [x], options ?? {}, placement(options));
}

/** Index of the minimum along `axis` (default 0), as an int64 tensor; first index on ties unless selectLastIndex. */
export function argmin(x: Tensor, options?: ArgReduceOptions): Tensor {
  return apply1(argminOp, [x], options ?? {}, placement(options));
}
