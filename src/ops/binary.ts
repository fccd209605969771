import { bytesPerElement, isBigIntDType, isFloatDType, type DType } from '../dtype.js';
import { broadcastShapes, sizeOf } from '../shape.js';
import { knownKeys, requireInput, requireNumeric, requireSameDType } from './attrs.js';
import { broadcastView, defineOp, outputOf, rawReader, storeNumber, stridedWalk, type OpDef, type OpInfo } from './op.js';

/** Binary ops by name, with the native BinaryOp code (kernels/cpu/elementwise.h). */
export const BINARY_CODE = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, pow: 6 } as const;
export type BinaryName = keyof typeof BINARY_CODE;

export interface BinaryAttrs {
  device?: string;
}

export interface BinaryInfo extends OpInfo {
  readonly op: BinaryName;
  /** Broadcast output shape. */
  readonly shape: readonly number[];
  readonly dtype: DType;
}

// Number semantics: floats in float64 (rounded when stored); 32-bit-or-smaller integers exact
// (products via Math.imul, so they wrap like C); integer division truncates, x/0 stores 0.
type NumFn = (a: number, b: number) => number;
const FLOAT_FNS: Record<BinaryName, NumFn> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
  pow: cpow,
};
const INT_FNS: Record<BinaryName, NumFn> = {
  ...FLOAT_FNS,
  mul: (a, b) => Math.imul(a, b),
  div: (a, b) => (b === 0 ? 0 : Math.trunc(a / b)),
  pow: (a, b) => Number(intPow(BigInt(a), BigInt(b), 32)),
};

/** C's pow: 1^y and x^0 are 1 even for NaN, (-1)^±inf is 1 (Math.pow gives NaN). */
function cpow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) return 1;
  return Math.pow(a, b);
}

/** Integer power wrapped to `bits` (square and multiply); a negative exponent gives 1/a^|b| truncated. */
function intPow(a: bigint, b: bigint, bits: number): bigint {
  if (b < 0n) return a === 1n ? 1n : a === -1n ? (b % 2n === 0n ? 1n : -1n) : 0n;
  let result = 1n;
  let base = BigInt.asIntN(bits, a);
  for (let e = b; e > 0n; e >>= 1n) {
    if (e & 1n) result = BigInt.asIntN(bits, result * base);
    base = BigInt.asIntN(bits, base * base);
  }
  return result;
}

// 64-bit integers: exact BigInt arithmetic, wrapped by the BigInt64/BigUint64 store.
type BigFn = (a: bigint, b: bigint) => bigint;
const BIG_FNS: Record<BinaryName, BigFn> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => (b === 0n ? 0n : a / b),
  maximum: (a, b) => (a > b ? a : b),
  minimum: (a, b) => (a < b ? a : b),
  pow: (a, b) => intPow(a, b, 64),
};

function defineBinary(name: BinaryName, flopsPerElement: number): OpDef<BinaryAttrs, BinaryInfo> {
  return defineOp<BinaryAttrs, BinaryInfo>({
    name,
    infer(inputs, attrs) {
      knownKeys(name, attrs, ['device']);
      const a = requireInput(name, 'a', inputs[0]);
      const b = requireInput(name, 'b', inputs[1]);
      requireNumeric(name, 'a', a);
      requireSameDType(name, 'b', b, a.dtype);
      const shape = broadcastShapes(name, a.shape, b.shape);
      return Object.freeze({ outputs: outputOf(shape, a.dtype), op: name, shape: Object.freeze(shape), dtype: a.dtype });
    },
    cost(info) {
      const n = sizeOf(info.shape);
      return { flops: flopsPerElement * n, bytes: 3 * n * bytesPerElement(info.dtype) };
    },
    reference(info, [a, b], [y]) {
      const av = broadcastView(a!, info.shape), bv = broadcastView(b!, info.shape);
      if (isBigIntDType(info.dtype)) {
        const fn = BIG_FNS[name];
        const ad = a!.data as unknown as bigint[], bd = b!.data as unknown as bigint[], out = y as unknown as bigint[];
        stridedWalk(info.shape, [av, bv], (i, [ia, ib]) => { out[i] = fn(ad[ia!]!, bd[ib!]!); });
        return;
      }
      const fn = isFloatDType(info.dtype) ? FLOAT_FNS[name] : INT_FNS[name];
      const readA = rawReader(a!), readB = rawReader(b!), store = storeNumber(info.dtype, y!);
      stridedWalk(info.shape, [av, bv], (i, [ia, ib]) => store(i, fn(readA(ia!), readB(ib!))));
    },
  });
}

/** ONNX Add/Sub/Mul/Div/Pow and two-input Max/Min, numpy broadcasting, one dtype for both inputs. */
export const add = defineBinary('add', 1);
export const sub = defineBinary('sub', 1);
export const mul = defineBinary('mul', 1);
export const div = defineBinary('div', 1);
export const maximum = defineBinary('maximum', 1);
export const minimum = defineBinary('minimum', 1);
export const pow = defineBinary('pow', 8);

export const binaryOps: Readonly<Record<BinaryName, OpDef<BinaryAttrs, BinaryInfo>>> = { add, sub, mul, div, maximum, minimum, pow };
