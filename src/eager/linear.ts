// Eager matmul, gemm and conv2d.
import { conv2d as conv2dOp, type Conv2dAttrs } from '../ops/conv2d.js';
import { gemm as gemmOp, type GemmAttrs } from '../ops/gemm.js';
import { matmul as matmulOp, type MatmulAttrs } from '../ops/matmul.js';
import { apply1 } from '../runtime/eager.js';
import type { Tensor } from '../tensor.js';
import { optionalTensor, placement } from './common.js';

export function matmul(a: Tensor, b: Tensor, options?: MatmulAttrs): Tensor {
  return apply1(matmulOp, [a, b], options ?? {}, placement(options));
}

export function gemm(a: Tensor, b: Tensor, c?: Tensor | null, options?: GemmAttrs): Tensor {
  return apply1(gemmOp, [a, b, optionalTensor('gemm', 'c', c)], options ?? {}, placement(options));
}

export interface Conv2dOptions extends Conv2dAttrs {
  bias?: Tensor;
}

export function conv2d(x: Tensor, w: Tensor, options?: Conv2dOptions): Tensor {
  const bias = optionalTensor('conv2d', 'bias', options?.bias);
  return apply1(conv2dOp, [x, w, bias], options ?? {}, placement(options));
}
