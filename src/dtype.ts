import { fail } from './errors.js';

/** ONNX element types the CPU holds. GPU devices support a subset (see each backend's capability). */
export type DType =
  | 'float32' | 'float64' | 'float16'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool';

export type TypedArray =
  | Float32Array | Float64Array | Uint16Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint32Array | BigUint64Array;

type ArrayCtor = { new (length: number): TypedArray; new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray; BYTES_PER_ELEMENT: number };

/** float16 is stored as raw IEEE half bits in a Uint16Array; bool as 0/1 bytes. */
const CTORS: Record<DType, ArrayCtor> = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array,
  int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
  bool: Uint8Array,
} as unknown as Record<DType, ArrayCtor>;

export const DTYPES = Object.keys(CTORS) as DType[];

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CTORS, value);
}

export function arrayCtor(dtype: DType): ArrayCtor {
  return CTORS[dtype];
}

export function allocate(dtype: DType, length: number): TypedArray {
  return new CTORS[dtype](length);
}

export function bytesPerElement(dtype: DType): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

export function isBigIntDType(dtype: DType): boolean {
  return dtype === 'int64' || dtype === 'uint64';
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

export function isIntegerDType(dtype: DType): boolean {
  return !isFloatDType(dtype) && dtype !== 'bool';
}

/** The dtype a typed array holds when the user does not say (Uint16Array is taken as uint16, Uint8Array as uint8). */
export function dtypeOfArray(data: ArrayBufferView): DType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigUint64Array) return 'uint64';
  return undefined;
}

/** Converts a JS number to what an element of `dtype` stores (wrapping integers like a C cast, trunc toward zero). */
export function elementWriter(dtype: DType): (v: number) => number | bigint {
  switch (dtype) {
    case 'int64': return (v) => (Number.isFinite(v) ? BigInt.asIntN(64, BigInt(Math.trunc(v))) : 0n);
    case 'uint64': return (v) => (Number.isFinite(v) ? BigInt.asUintN(64, BigInt(Math.trunc(v))) : 0n);
    case 'bool': return (v) => (v !== 0 && !Number.isNaN(v) ? 1 : 0);
    case 'float16': return (v) => float32ToHalfBits(v);
    default:
      if (isIntegerDType(dtype)) return (v) => (Number.isFinite(v) ? Math.trunc(v) : 0);
      return (v) => v;
  }
}

/** Reads an element as a JS number (float16 bits decoded, 64-bit ints converted). */
export function elementReader(dtype: DType): (v: number | bigint) => number {
  if (dtype === 'float16') return (v) => halfBitsToFloat32(v as number);
  if (isBigIntDType(dtype)) return (v) => Number(v);
  return (v) => v as number;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float32ToHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  return sign | half;
}

export function halfBitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function checkDType(op: string, argument: string, dtype: unknown): DType {
  if (!isDType(dtype)) fail('DTYPE_UNSUPPORTED', op, argument, `one of ${DTYPES.join('|')}`, dtype);
  return dtype;
}
