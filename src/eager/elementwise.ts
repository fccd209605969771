// Eager elementwise ops: broadcasting binary arithmetic, activations and other unary maths, clip.
// The two-input max/min are `maximum`/`minimum`: lc.max/lc.min are reductions.
import { LeptonError, show } from '../errors.js';
import { binaryOps, type BinaryAttrs, type BinaryName } from '../ops/binary.js';
import { clip as clipOp, unaryOps, type ClipAttrs, type GeluAttrs, type UnaryAttrs, type UnaryName } from '../ops/unary.js';
import { apply1 } from '../runtime/eager.js';
import { Tensor, tensor } from '../tensor.js';
import { placement } from './common.js';

export type BinaryOptions = BinaryAttrs;
export type UnaryOptions = UnaryAttrs;
export type GeluOptions = GeluAttrs;
export type ClipOptions = ClipAttrs;

/** A number operand becomes a 0-d tensor of the other operand's dtype (it broadcasts). */
function operand(op: string, name: string, value: Tensor | number, other: Tensor | number): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value === 'number' && other instanceof Tensor) return tensor(value, [], { dtype: other.dtype });
  throw new LeptonError('BAD_ARGUMENT', `${op}: ${name} must be a Tensor (or a number beside a Tensor), got ${show(value)}`);
}

function binaryWith(name: BinaryName) {
  return (a: Tensor | number, b: Tensor | number, options?: BinaryOptions): Tensor =>
    apply1(binaryOps[name], [operand(name, 'a', a, b), operand(name, 'b', b, a)], options ?? {}, placement(options));
}

/** a + b with numpy broadcasting; both inputs share one dtype; integers wrap like C. */
export const add = binaryWith('add');
/** a - b with numpy broadcasting. */
export const sub = binaryWith('sub');
/** a * b with numpy broadcasting. */
export const mul = binaryWith('mul');
/** a / b with numpy broadcasting; integer division truncates toward zero (x / 0 gives 0). */
export const div = binaryWith('div');
/** Elementwise maximum (NaN if either is NaN), broadcasting. */
export const maximum = binaryWith('maximum');
/** Elementwise minimum (NaN if either is NaN), broadcasting. */
export const minimum = binaryWith('minimum');
/** a ** b with numpy broadcasting (C pow for floats; exact wrapped powers for integers). */
export const pow = binaryWith('pow');

function unaryWith(name: UnaryName) {
  return (x: Tensor, options?: UnaryOptions): Tensor => apply1(unaryOps[name], [x], options ?? {}, placement(options));
}

/** max(x, 0); floats and signed integers. */
export const relu = unaryWith('relu');
export const sigmoid = unaryWith('sigmoid');
export const tanh = unaryWith('tanh');
export const exp = unaryWith('exp');
export const log = unaryWith('log');
/** |x|; floats and integers (the signed minimum stays itself, as C). */
export const abs = unaryWith('abs');
/** -x; floats and signed integers. */
export const neg = unaryWith('neg');
export const sqrt = unaryWith('sqrt');
export const erf = unaryWith('erf');
/** 1 / x. */
export const reciprocal = unaryWith('reciprocal');

/** ONNX Gelu: x * Phi(x), or its tanh approximation with { approximate: 'tanh' }. */
export function gelu(x: Tensor, options?: GeluOptions): Tensor {
  return apply1(unaryOps.gelu, [x], options ?? {}, placement(options));
}

/** min(max(x, min), max); either bound may be left out; NaN stays NaN. */
export function clip(x: Tensor, options?: ClipOptions): Tensor {
  return apply1(clipOp, [x], options ?? {}, placement(options));
}
