import { bytesPerElement, elementWriter, isBigIntDType, type DType } from '../dtype.js';
import { fail } from '../errors.js';
import { forEachIndex, normalizeAxes, sizeOf } from '../shape.js';
import type { StridedView, TensorMeta } from '../tensor.js';
import { boolean, knownKeys, requireInput } from './attrs.js';
import { defineOp, outputOf, rawReader, type OpDef, type OpInfo } from './op.js';

export const REDUCE_KINDS = ['sum', 'mean', 'max', 'min', 'prod', 'sumSquare', 'l1', 'l2', 'logSumExp', 'logSum'] as const;
export type ReduceKind = (typeof REDUCE_KINDS)[number];

export interface ReduceAttrs {
  /** Axes to reduce (negative counts from the end); all axes when absent, or when [] unless noopWithEmptyAxes. */
  axes?: readonly number[];
  /** Keep reduced axes as size 1 (default true, as ONNX). */
  keepdims?: boolean;
  /** With axes [] the output is the input unchanged (ONNX noop_with_empty_axes). */
  noopWithEmptyAxes?: boolean;
  device?: string;
}

export interface ReduceInfo extends OpInfo {
  readonly kind: ReduceKind;
  /** Reduced axes, normalised and ascending. */
  readonly axes: readonly number[];
  /** Bit d set when axis d is reduced: what the native kernel takes. */
  readonly mask: number;
  /** noopWithEmptyAxes with axes []: the output is a copy of the input. */
  readonly identity: boolean;
  /** Input elements folded into each output element. */
  readonly count: number;
  readonly dtype: DType;
}

/** Folds the values `each` yields (count of them) into one float64 result. */
type Fold = (each: (visit: (v: number) => void) => void, count: number) => number;

const sumOf = (each: Parameters<Fold>[0], f: (v: number) => number = (v) => v): number => {
  let s = 0;
  each((v) => { s += f(v); });
  return s;
};
/** NaN-propagating extreme; -inf (max) or +inf (min) when empty. */
const extremeOf = (each: Parameters<Fold>[0], isMax: boolean): number => {
  let m = isMax ? -Infinity : Infinity;
  each((v) => {
    if (m === m && (v !== v || (isMax ? v > m : v < m))) m = v;
  });
  return m;
};

const FOLDS: Record<ReduceKind, Fold> = {
  sum: (each) => sumOf(each),
  mean: (each, n) => (n === 0 ? NaN : sumOf(each) / n),
  max: (each) => extremeOf(each, true),
  min: (each) => extremeOf(each, false),
  prod: (each) => {
    let p = 1;
    each((v) => { p *= v; });
    return p;
  },
  sumSquare: (each) => sumOf(each, (v) => v * v),
  l1: (each) => sumOf(each, Math.abs),
  l2: (each) => Math.sqrt(sumOf(each, (v) => v * v)),
  logSum: (each) => Math.log(sumOf(each)),
  // Shifted by the max for stability; a non-finite max (empty, all -inf, +inf, NaN) is the answer.
  logSumExp: (each) => {
    const m = extremeOf(each, true);
    return Number.isFinite(m) ? m + Math.log(sumOf(each, (v) => Math.exp(v - m))) : m;
  },
};

/** Integer (and bool) ranges: sum/prod/max/min on them are exact, wrapping like a C cast. */
const INT_BITS: Partial<Record<DType, [bits: number, signed: boolean]>> = {
  int8: [8, true], int16: [16, true], int32: [32, true], int64: [64, true],
  uint8: [8, false], uint16: [16, false], uint32: [32, false], uint64: [64, false], bool: [1, false],
};

function exactIntFold(kind: ReduceKind, dtype: DType): ((each: (visit: (v: bigint) => void) => void) => bigint) | undefined {
  const [bits, signed] = INT_BITS[dtype] ?? [0, false];
  if (bits === 0 || !(kind === 'sum' || kind === 'prod' || kind === 'max' || kind === 'min')) return undefined;
  const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const hi = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const wrap = (v: bigint) => (signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));
  return (each) => {
    // An empty max/min gives the dtype's lowest/highest value (as ONNX Runtime does).
    let acc = kind === 'sum' ? 0n : kind === 'prod' ? 1n : kind === 'max' ? lo : hi;
    if (kind === 'sum') each((v) => { acc += v; });
    else if (kind === 'prod') each((v) => { acc *= v; });
    else if (kind === 'max') each((v) => { if (v > acc) acc = v; });
    else each((v) => { if (v < acc) acc = v; });
    return wrap(acc);
  };
}

function inferReduce(kind: ReduceKind, x: TensorMeta, attrs: ReduceAttrs | undefined): ReduceInfo {
  const op = kind;
  const rank = x.shape.length;
  if (x.dtype === 'bool' && kind !== 'max' && kind !== 'min') {
    fail('DTYPE_UNSUPPORTED', op, 'x dtype', 'a numeric dtype (bool only for max and min)', x.dtype);
  }
  const keepdims = boolean(op, 'keepdims', attrs?.keepdims, true);
  const noop = boolean(op, 'noopWithEmptyAxes', attrs?.noopWithEmptyAxes, false);
  const given = attrs?.axes === undefined ? undefined : normalizeAxes(op, attrs.axes, rank);
  const identity = noop && given !== undefined && given.length === 0;
  const axes = identity ? [] : given === undefined || given.length === 0 ? [...x.shape.keys()] : given;
  const reduced = (d: number) => axes.includes(d);
  const outShape = identity ? [...x.shape] : x.shape.flatMap((n, d) => (!reduced(d) ? [n] : keepdims ? [1] : []));
  return Object.freeze({
    outputs: outputOf(outShape, x.dtype), kind, axes: Object.freeze(axes),
    mask: axes.reduce((m, d) => m + 2 ** d, 0), identity,
    count: sizeOf(axes.map((d) => x.shape[d]!)), dtype: x.dtype,
  });
}

function referenceReduce(info: ReduceInfo, x: StridedView, y: ArrayLike<number | bigint>): void {
  const out = y as unknown as Array<number | bigint>;
  const data = x.data as unknown as ArrayLike<number | bigint>;
  let o = 0;
  if (info.identity) {
    forEachIndex(x.shape, x.strides, x.offset, (i) => { out[o++] = data[i]!; });
    return;
  }
  const kept = [...x.shape.keys()].filter((d) => !info.axes.includes(d));
  const keptShape = kept.map((d) => x.shape[d]!), keptStrides = kept.map((d) => x.strides[d]!);
  const redShape = info.axes.map((d) => x.shape[d]!), redStrides = info.axes.map((d) => x.strides[d]!);
  const exact = exactIntFold(info.kind, info.dtype);
  if (exact) {
    const big = isBigIntDType(info.dtype);
    forEachIndex(keptShape, keptStrides, x.offset, (base) => {
      const r = exact((visit) => forEachIndex(redShape, redStrides, base, (i) => visit(BigInt(data[i]!))));
      out[o++] = big ? r : Number(r);
    });
    return;
  }
  const read = rawReader(x);
  const write = elementWriter(info.dtype);
  const fold = FOLDS[info.kind];
  forEachIndex(keptShape, keptStrides, x.offset, (base) => {
    out[o++] = write(fold((visit) => forEachIndex(redShape, redStrides, base, (i) => visit(read(i))), info.count));
  });
}

/** The OpDef of one reduction (every member of the family shares validation and reference). */
function defineReduce(kind: ReduceKind): OpDef<ReduceAttrs, ReduceInfo> {
  return defineOp<ReduceAttrs, ReduceInfo>({
    name: kind,
    infer(inputs, attrs) {
      knownKeys(kind, attrs, ['axes', 'keepdims', 'noopWithEmptyAxes', 'device']);
      return inferReduce(kind, requireInput(kind, 'x', inputs[0]), attrs);
    },
    cost(info) {
      const n = info.count * sizeOf(info.outputs[0]!.shape);
      const perElement = kind === 'logSumExp' ? 4 : 1;
      return { flops: perElement * n, bytes: bytesPerElement(info.dtype) * (n + sizeOf(info.outputs[0]!.shape)) };
    },
    reference(info, [x], [y]) {
      referenceReduce(info, x!, y!);
    },
  });
}

/** ONNX ReduceSum/Mean/Max/Min/Prod/SumSquare/L1/L2/LogSumExp/LogSum (opset 18+: axes as an option). */
export const reduceOps: Readonly<Record<ReduceKind, OpDef<ReduceAttrs, ReduceInfo>>> = Object.freeze(
  Object.fromEntries(REDUCE_KINDS.map((k) => [k, defineReduce(k)])) as Record<ReduceKind, OpDef<ReduceAttrs, ReduceInfo>>,
);
