// Eager softmax, logSoftmax and batchNorm.
import { batchNorm as batchNormOp, type BatchNormAttrs } from '../ops/batchNorm.js';
import { logSoftmax as logSoftmaxOp, softmax as softmaxOp, type SoftmaxAttrs } from '../ops/softmax.js';
import { apply1 } from '../runtime/eager.js';
import type { Tensor } from '../tensor.js';
import { placement } from './common.js';

export type SoftmaxOptions = SoftmaxAttrs;
export type BatchNormOptions = BatchNormAttrs;

/** Softmax along `axis` (default -1; ONNX opset 13). */
export function softmax(x: Tensor, options?: SoftmaxOptions): Tensor {
  return apply1(softmaxOp, [x], options ?? {}, placement(options));
}

/** log(softmax(x)) along `axis` (default -1), computed without forming softmax. */
export function logSoftmax(x: Tensor, options?: SoftmaxOptions): Tensor {
  return apply1(logSoftmaxOp, [x], options ?? {}, placement(options));
}

/** Inference batch normalization of x [N, C, ...spatial] with per-channel scale, bias, mean and variance [C]. */
export function batchNorm(x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, options?: BatchNormOptions): Tensor {
  return apply1(batchNormOp, [x, scale, bias, mean, variance], options ?? {}, placement(options));
}
