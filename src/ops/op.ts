import { float32ToHalfBits, halfBitsToFloat32, isBigIntDType, type DType, type TypedArray } from '../dtype.js';
import { broadcastStrides, sizeOf } from '../shape.js';
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

/**
 * Walks `shape` row-major and calls visit(i, at) with, for each view, the storage index of
 * element i (`at` is reused between calls). Views may broadcast (0 strides).
 */
export function stridedWalk(shape: readonly number[], views: readonly { strides: readonly number[]; offset: number }[],
  visit: (i: number, at: readonly number[]) => void): void {
  const n = sizeOf(shape), rank = shape.length, k = views.length;
  const at = views.map((v) => v.offset);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    visit(i, at);
    for (let d = rank - 1; d >= 0; d--) {
      for (let j = 0; j < k; j++) at[j]! += views[j]!.strides[d]!;
      if (++idx[d]! < shape[d]!) break;
      for (let j = 0; j < k; j++) at[j]! -= views[j]!.strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** A view of `v` read as if broadcast to `shape` (0 strides on broadcast axes). */
export function broadcastView(v: StridedView, shape: readonly number[]): StridedView {
  return { ...v, shape, strides: broadcastStrides(v.shape, v.strides, shape) };
}

/** Stores a JS number into an output element: integer arrays wrap like C (trunc, modulo 2^bits), float16 is encoded. */
export function storeNumber(dtype: DType, out: TypedArray): (i: number, v: number) => void {
  const arr = out as unknown as number[];
  if (dtype === 'float16' && out instanceof Uint16Array) return (i, v) => { arr[i] = float32ToHalfBits(v); };
  if (isBigIntDType(dtype)) {
    const big = out as unknown as bigint[];
    return (i, v) => { big[i] = Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n; };
  }
  return (i, v) => { arr[i] = v; };
}
