import { halfBitsToFloat32, type DType, type TypedArray } from '../dtype.js';
import type { StridedView, TensorMeta } from '../tensor.js';

/** What shape inference produced: the frozen info kernels receive. Every op's info extends it. */
export interface OpInfo {
  readonly outputs: readonly TensorMeta[];
}

export interface Cost {
  /** Floating-point operations (a multiply-add counts 2). */
  readonly flops: number;
  /** Bytes read plus written. */
  readonly bytes: number;
}

/** A strided reinterpretation of an input that needs no kernel (transpose, reshape). */
export interface ViewResult {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * One operator: the meaning lives here, kernels only compute.
 * `infer` validates (throwing LeptonError synchronously) and returns the info;
 * `reference` is the plain, obviously correct kernel: the oracle and last-resort fallback.
 */
export interface OpDef<A = unknown, I extends OpInfo = OpInfo> {
  readonly name: string;
  infer(inputs: readonly (TensorMeta | undefined)[], attrs: A): I;
  cost(info: I): Cost;
  reference(info: I, inputs: readonly (StridedView | undefined)[], outputs: readonly TypedArray[]): void;
  /** When defined and it returns a view, no kernel runs: the output shares the input's storage. */
  view?(info: I, input: ViewResult): ViewResult | undefined;
}

export function defineOp<A, I extends OpInfo>(def: OpDef<A, I>): OpDef<A, I> {
  return Object.freeze(def);
}

/** Convenience: a single output meta. */
export function outputOf(shape: readonly number[], dtype: DType): readonly TensorMeta[] {
  return Object.freeze([Object.freeze({ shape: Object.freeze([...shape]), dtype })]);
}

/** Reads element i (flat, row-major over the view's shape) of a strided view as a number. */
export function viewReader(v: StridedView): (flat: number) => number {
  const rank = v.shape.length;
  const big = v.dtype === 'int64' || v.dtype === 'uint64';
  const data = v.data as unknown as ArrayLike<number | bigint>;
  const half = v.dtype === 'float16';
  return (flat: number) => {
    let idx = v.offset;
    for (let d = rank - 1; d >= 0; d--) {
      const n = v.shape[d]!;
      idx += (flat % n) * v.strides[d]!;
      flat = Math.floor(flat / n);
    }
    const raw = data[idx]!;
    if (big) return Number(raw);
    if (half) return halfBitsToFloat32(raw as number);
    return raw as number;
  };
}


/** Reads an element by multi-index through strides. */
export function at(v: StridedView, index: readonly number[]): number {
  let idx = v.offset;
  for (let d = 0; d < index.length; d++) idx += index[d]! * v.strides[d]!;
  const raw = (v.data as unknown as ArrayLike<number | bigint>)[idx]!;
  return typeof raw === 'bigint' ? Number(raw) : v.dtype === 'float16' ? halfBitsToFloat32(raw) : raw;
}

/** Reads data[index] (a raw storage index) as a number. */
export function rawReader(v: StridedView): (index: number) => number {
  const data = v.data as unknown as ArrayLike<number | bigint>;
  if (v.dtype === 'int64' || v.dtype === 'uint64') return (i) => Number(data[i]!);
  if (v.dtype === 'float16') return (i) => halfBitsToFloat32(data[i] as number);
  return (i) => data[i] as number;
}

/** Storage index of a multi-index prefix (missing trailing dims read 0). */
export function offsetOf(v: StridedView, index: readonly number[]): number {
  let o = v.offset;
  for (let d = 0; d < index.length; d++) o += index[d]! * v.strides[d]!;
  return o;
}
