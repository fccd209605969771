import { bytesPerElement, type DType, type TypedArray } from '../dtype.js';
import { fail, LeptonError, show } from '../errors.js';
import { contiguousStrides, isContiguous, normalizeAxis, sizeOf } from '../shape.js';
import type { StridedView, TensorMeta } from '../tensor.js';
import { boolean, knownKeys, requireInput, requireSameDType } from './attrs.js';
import { defineOp, outputOf, stridedWalk, type OpInfo, type ViewResult } from './op.js';

/*
 * Layout ops move no numbers. reshape/flatten of a contiguous input, squeeze, unsqueeze and
 * transpose are zero-copy views (the `view` hook); otherwise (and for concat) a kernel gathers.
 */

export interface LayoutInfo extends OpInfo {
  /** Output shape. */
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface TransposeInfo extends LayoutInfo {
  readonly perm: readonly number[];
}

export interface AxesInfo extends LayoutInfo {
  /** squeeze: the input dims removed; unsqueeze: the output dims added. */
  readonly axes: readonly number[];
}

export interface ConcatInfo extends LayoutInfo {
  readonly axis: number;
  /** Each input's size along axis. */
  readonly sizes: readonly number[];
}

/** y[i] = the i-th element of `v` in row-major order (raw copy: any dtype). */
function gatherInto(v: StridedView, y: TypedArray): void {
  const src = v.data as unknown as unknown[], out = y as unknown as unknown[];
  stridedWalk(v.shape, [v], (i, [at]) => { out[i] = src[at!]; });
}

function layoutCost(info: LayoutInfo): { flops: number; bytes: number } {
  return { flops: 0, bytes: 2 * sizeOf(info.shape) * bytesPerElement(info.dtype) };
}

function freezeInfo(shape: readonly number[], dtype: DType): LayoutInfo {
  return Object.freeze({ outputs: outputOf(shape, dtype), shape: Object.freeze([...shape]), dtype });
}

/** Same elements in the same row-major order: a view of a contiguous input, else a gather. */
function rowMajorView(info: LayoutInfo, input: ViewResult): ViewResult | undefined {
  if (!isContiguous(input.shape, input.strides)) return undefined;
  return { shape: info.shape, strides: contiguousStrides(info.shape), offset: input.offset };
}

function rowMajorReference(_info: LayoutInfo, [x]: readonly (StridedView | undefined)[], [y]: readonly TypedArray[]): void {
  gatherInto(x!, y!);
}

function axesList(op: string, name: string, value: unknown, rank: number): number[] {
  if (!Array.isArray(value)) fail('BAD_ATTRIBUTE', op, name, 'an array of integers', value);
  const axes = value.map((a) => normalizeAxis(op, name, a, rank));
  if (new Set(axes).size !== axes.length) fail('BAD_ATTRIBUTE', op, name, 'distinct axes', value);
  return axes;
}

export interface ReshapeAttrs {
  /** Target shape (ONNX Reshape's `shape` input): -1 infers one dim, 0 copies the input's dim unless allowZero. */
  shape: readonly number[];
  /** ONNX allowzero: 0 means an empty dim. */
  allowZero?: boolean;
  device?: string;
}

/** ONNX Reshape. */
export const reshape = defineOp<ReshapeAttrs, LayoutInfo>({
  name: 'reshape',
  infer(inputs, attrs) {
    const op = 'reshape';
    knownKeys(op, attrs, ['shape', 'allowZero', 'device']);
    const x = requireInput(op, 'x', inputs[0]);
    const spec = attrs?.shape;
    if (!Array.isArray(spec) || !spec.every((d) => Number.isSafeInteger(d) && d >= -1)) {
      fail('BAD_ATTRIBUTE', op, 'shape', 'an array of integers >= -1', spec);
    }
    const allowZero = boolean(op, 'allowZero', attrs?.allowZero, false);
    if (spec.filter((d) => d === -1).length > 1) fail('BAD_ATTRIBUTE', op, 'shape', 'at most one -1', spec);
    if (allowZero && spec.includes(0) && spec.includes(-1)) fail('BAD_ATTRIBUTE', op, 'shape', 'not both 0 and -1 when allowZero', spec);
    const out = spec.map((d, i) => {
      if (d !== 0 || allowZero) return d;
      if (i >= x.shape.length) fail('SHAPE_MISMATCH', op, `shape[${i}] (0 copies the input dim)`, `within the input rank ${x.shape.length}`, spec);
      return x.shape[i]!;
    });
    const size = sizeOf(x.shape);
    const inferAt = out.indexOf(-1);
    if (inferAt >= 0) {
      const known = sizeOf(out.filter((d) => d !== -1));
      if (known === 0 || size % known !== 0) {
        fail('SHAPE_MISMATCH', op, 'shape', `compatible with ${size} elements (input ${show(x.shape)})`, spec);
      }
      out[inferAt] = size / known;
    } else if (sizeOf(out) !== size) {
      fail('SHAPE_MISMATCH', op, 'shape', `${size} elements like the input ${show(x.shape)}`, `${show(spec)} (${sizeOf(out)} elements)`);
    }
    return freezeInfo(out, x.dtype);
  },
  cost: layoutCost,
  reference: rowMajorReference,
  view: rowMajorView,
});

export interface FlattenAttrs {
  /** Dims before axis become the rows, the rest the columns; in [-rank, rank], default 1. */
  axis?: number;
  device?: string;
}

/** ONNX Flatten: always 2-D. */
export const flatten = defineOp<FlattenAttrs, LayoutInfo>({
  name: 'flatten',
  infer(inputs, attrs) {
    knownKeys('flatten', attrs, ['axis', 'device']);
    const x = requireInput('flatten', 'x', inputs[0]);
    const r = x.shape.length;
    let axis = attrs?.axis ?? 1;
    if (!Number.isInteger(axis) || axis < -r || axis > r) fail('BAD_ATTRIBUTE', 'flatten', 'axis', `an integer in [${-r}, ${r}]`, axis);
    if (axis < 0) axis += r;
    return freezeInfo([sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))], x.dtype);
  },
  cost: layoutCost,
  reference: rowMajorReference,
  view: rowMajorView,
});

export interface SqueezeAttrs {
  /** Size-1 axes to remove (default: every size-1 axis). */
  axes?: readonly number[];
  device?: string;
}

/** ONNX Squeeze: always a view (dropping size-1 dims needs no particular layout). */
export const squeeze = defineOp<SqueezeAttrs, AxesInfo>({
  name: 'squeeze',
  infer(inputs, attrs) {
    knownKeys('squeeze', attrs, ['axes', 'device']);
    const x = requireInput('squeeze', 'x', inputs[0]);
    const axes = attrs?.axes === undefined
      ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : axesList('squeeze', 'axes', attrs.axes, x.shape.length);
    for (const a of axes) {
      if (x.shape[a] !== 1) fail('SHAPE_MISMATCH', 'squeeze', `x dim ${a}`, '1 to be squeezed', `${x.shape[a]} (shape ${show(x.shape)})`);
    }
    return Object.freeze({ ...freezeInfo(x.shape.filter((_, i) => !axes.includes(i)), x.dtype), axes: Object.freeze(axes) });
  },
  cost: layoutCost,
  reference: rowMajorReference,
  view: (info, input) => ({ shape: info.shape, strides: input.strides.filter((_, i) => !info.axes.includes(i)), offset: input.offset }),
});

export interface UnsqueezeAttrs {
  /** Positions of the new size-1 dims in the output, in [-(rank+n), rank+n-1]. */
  axes: readonly number[];
  device?: string;
}

/** ONNX Unsqueeze: always a view. */
export const unsqueeze = defineOp<UnsqueezeAttrs, AxesInfo>({
  name: 'unsqueeze',
  infer(inputs, attrs) {
    knownKeys('unsqueeze', attrs, ['axes', 'device']);
    const x = requireInput('unsqueeze', 'x', inputs[0]);
    const given = attrs?.axes;
    const outRank = x.shape.length + (Array.isArray(given) ? given.length : 0);
    const axes = axesList('unsqueeze', 'axes', given, outRank);
    const out: number[] = [];
    for (let d = 0, k = 0; d < outRank; d++) out.push(axes.includes(d) ? 1 : x.shape[k++]!);
    return Object.freeze({ ...freezeInfo(out, x.dtype), axes: Object.freeze(axes) });
  },
  cost: layoutCost,
  reference: rowMajorReference,
  view(info, input) {
    // Input dims keep their strides; a new size-1 dim's stride is never used (row-major value for tidiness).
    const strides: number[] = [];
    for (let d = 0, k = 0; d < info.shape.length; d++) {
      if (!info.axes.includes(d)) strides.push(input.strides[k++]!);
      else strides.push(k < input.shape.length ? input.strides[k]! * input.shape[k]! : 1);
    }
    return { shape: info.shape, strides, offset: input.offset };
  },
});

export interface TransposeAttrs {
  /** Output dim i is input dim perm[i]; default reverses the dims. */
  perm?: readonly number[];
  device?: string;
}

/** ONNX Transpose: always a view; the kernel (when a copy is wanted) gathers. */
export const transpose = defineOp<TransposeAttrs, TransposeInfo>({
  name: 'transpose',
  infer(inputs, attrs) {
    knownKeys('transpose', attrs, ['perm', 'device']);
    const x = requireInput('transpose', 'x', inputs[0]);
    const r = x.shape.length;
    const perm = attrs?.perm === undefined ? x.shape.map((_, i) => r - 1 - i) : attrs.perm;
    if (!Array.isArray(perm) || perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
      fail('BAD_ATTRIBUTE', 'transpose', 'perm', `a permutation of 0..${r - 1}`, perm);
    }
    return Object.freeze({ ...freezeInfo(perm.map((p) => x.shape[p]!), x.dtype), perm: Object.freeze([...perm]) });
  },
  cost: layoutCost,
  reference(info, [x], [y]) {
    gatherInto(permuted(x!, info.perm), y!);
  },
  view(info, input) {
    return { shape: info.shape, strides: info.perm.map((p) => input.strides[p]!), offset: input.offset };
  },
});

/** The input read in transposed order. */
export function permuted<V extends { shape: readonly number[]; strides: readonly number[] }>(v: V, perm: readonly number[]): V {
  return { ...v, shape: perm.map((p) => v.shape[p]!), strides: perm.map((p) => v.strides[p]!) };
}

export interface ConcatAttrs {
  /** Axis to join along, negative counts from the end; default 0. */
  axis?: number;
  device?: string;
}

/** ONNX Concat: inputs of one dtype and rank, equal except along axis. */
export const concat = defineOp<ConcatAttrs, ConcatInfo>({
  name: 'concat',
  infer(inputs, attrs) {
    const op = 'concat';
    knownKeys(op, attrs, ['axis', 'device']);
    if (inputs.length === 0) throw new LeptonError('BAD_ARGUMENT', `${op}: tensors must be a non-empty array, got []`);
    const metas: TensorMeta[] = inputs.map((t, i) => requireInput(op, `tensors[${i}]`, t));
    const first = metas[0]!;
    const r = first.shape.length;
    if (r === 0) fail('SHAPE_MISMATCH', op, 'tensors[0] rank', 'at least 1', 0);
    const axis = normalizeAxis(op, 'axis', attrs?.axis ?? 0, r);
    metas.forEach((t, i) => {
      requireSameDType(op, `tensors[${i}]`, t, first.dtype);
      if (t.shape.length !== r || t.shape.some((d, k) => k !== axis && d !== first.shape[k])) {
        fail('SHAPE_MISMATCH', op, `tensors[${i}] shape`, `${show(first.shape)} except along axis ${axis}`, t.shape);
      }
    });
    const sizes = metas.map((t) => t.shape[axis]!);
    const shape = first.shape.map((d, k) => (k === axis ? sizes.reduce((a, b) => a + b, 0) : d));
    return Object.freeze({ ...freezeInfo(shape, first.dtype), axis, sizes: Object.freeze(sizes) });
  },
  cost: layoutCost,
  reference(info, inputs, [y]) {
    const outStrides = contiguousStrides(info.shape);
    const out = y as unknown as unknown[];
    let start = 0;
    inputs.forEach((x, p) => {
      const src = x!.data as unknown as unknown[];
      const dst = { strides: outStrides, offset: start * outStrides[info.axis]! };
      stridedWalk(x!.shape, [x!, dst], (_i, [from, to]) => { out[to!] = src[from!]; });
      start += info.sizes[p]!;
    });
  },
});
