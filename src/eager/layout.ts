// Eager layout ops. reshape/flatten of a contiguous tensor, squeeze, unsqueeze and transpose return
// views that share the input's storage (no copy); disposing either tensor leaves the other valid.
import { LeptonError, show } from '../errors.js';
import {
  concat as concatOp, flatten as flattenOp, reshape as reshapeOp, squeeze as squeezeOp, transpose as transposeOp,
  unsqueeze as unsqueezeOp, type ConcatAttrs, type FlattenAttrs, type ReshapeAttrs, type SqueezeAttrs, type TransposeAttrs,
} from '../ops/layout.js';
import { apply1 } from '../runtime/eager.js';
import type { Tensor } from '../tensor.js';
import { placement } from './common.js';

export type ReshapeOptions = Omit<ReshapeAttrs, 'shape'>;
export type FlattenOptions = FlattenAttrs;
export type TransposeOptions = TransposeAttrs;
export type ConcatOptions = ConcatAttrs;
export type SqueezeOptions = SqueezeAttrs;
export interface UnsqueezeOptions {
  axes: readonly number[];
  device?: string;
}

/** ONNX Reshape: -1 infers one dim; 0 copies the input's dim unless { allowZero: true }. */
export function reshape(x: Tensor, shape: readonly number[], options?: ReshapeOptions): Tensor {
  return apply1(reshapeOp, [x], { ...options, shape }, placement(options));
}

/** ONNX Flatten to 2-D: [prod(dims before axis), prod(dims from axis)]; axis defaults to 1. */
export function flatten(x: Tensor, options?: FlattenOptions): Tensor {
  return apply1(flattenOp, [x], options ?? {}, placement(options));
}

/** Permutes the dims (default: reversed). Always a view. */
export function transpose(x: Tensor, options?: TransposeOptions): Tensor {
  return apply1(transposeOp, [x], options ?? {}, placement(options));
}

/** Joins tensors of one dtype along `axis` (default 0); the other dims must match. */
export function concat(tensors: readonly Tensor[], options?: ConcatOptions): Tensor {
  if (!Array.isArray(tensors)) throw new LeptonError('BAD_ARGUMENT', `concat: tensors must be an array of Tensors, got ${show(tensors)}`);
  return apply1(concatOp, tensors, options ?? {}, placement(options));
}

/** Removes size-1 dims (all of them, or those in `axes`). Always a view. */
export function squeeze(x: Tensor, options?: SqueezeOptions): Tensor {
  return apply1(squeezeOp, [x], options ?? {}, placement(options));
}

/** Inserts size-1 dims at `axes` (positions in the output). Always a view. */
export function unsqueeze(x: Tensor, options: UnsqueezeOptions): Tensor {
  return apply1(unsqueezeOp, [x], options, placement(options));
}
