/**
 * ONNX Cast as an op definition, so a cast is queued like any other eager op.
 * It lives with the importer until the op set grows a cast of its own; every
 * backend but the CPU declines unknown ops, so it runs the reference kernel here.
 */
import { checkDType, float32ToHalfBits, halfBitsToFloat32, isBigIntDType, type DType } from '../dtype.js';
import { apply1 } from '../runtime/eager.js';
import type { Tensor } from '../tensor.js';
import { defineOp, outputOf, type OpInfo } from '../ops/op.js';
import { forEachIndex, sizeOf } from '../shape.js';
import { knownKeys, requireInput } from '../ops/attrs.js';

export interface CastAttrs {
  to: DType;
  device?: string;
}

export interface CastInfo extends OpInfo {
  readonly from: DType;
  readonly to: DType;
}

const INT_BITS: Partial<Record<DType, number>> = { int8: 8, int16: 16, int32: 32, uint8: 8, uint16: 16, uint32: 32 };

/** Converts one element. Floats to integers truncate toward zero (NaN/inf give 0); integers wrap like a C cast. */
function converter(from: DType, to: DType): (v: number | bigint) => number | bigint {
  const readNum = from === 'float16' ? (v: number | bigint) => halfBitsToFloat32(v as number) : (v: number | bigint) => Number(v);
  if (to === 'bool') return (v) => (from === 'float16' ? readNum(v) !== 0 && !Number.isNaN(readNum(v)) : typeof v === 'bigint' ? v !== 0n : v !== 0 && !Number.isNaN(v)) ? 1 : 0;
  if (to === 'float16') return (v) => float32ToHalfBits(readNum(v));
  if (to === 'float32' || to === 'float64') return readNum;
  if (isBigIntDType(to)) {
    const wrap = to === 'int64' ? (b: bigint) => BigInt.asIntN(64, b) : (b: bigint) => BigInt.asUintN(64, b);
    if (isBigIntDType(from)) return (v) => wrap(v as bigint);
    return (v) => {
      const n = readNum(v);
      return Number.isFinite(n) ? wrap(BigInt(Math.trunc(n))) : 0n;
    };
  }
  const bits = INT_BITS[to]!;
  const signed = to.startsWith('int');
  if (isBigIntDType(from)) {
    return (v) => Number(signed ? BigInt.asIntN(bits, v as bigint) : BigInt.asUintN(bits, v as bigint));
  }
  // Typed-array stores wrap modulo 2^bits, so a truncated number is enough.
  return (v) => {
    const n = readNum(v);
    return Number.isFinite(n) ? Math.trunc(n) : 0;
  };
}

export const castOp = defineOp<CastAttrs, CastInfo>({
  name: 'cast',
  infer(inputs, attrs) {
    knownKeys('cast', attrs, ['to', 'device']);
    const x = requireInput('cast', 'x', inputs[0]);
    const to = checkDType('cast', 'to', attrs?.to);
    return Object.freeze({ outputs: outputOf(x.shape, to), from: x.dtype, to });
  },
  cost(info) {
    const n = sizeOf(info.outputs[0]!.shape);
    return { flops: n, bytes: 16 * n };
  },
  reference(info, [x], [y]) {
    const convert = converter(info.from, info.to);
    const src = x!.data as unknown as ArrayLike<number | bigint>;
    const dst = y as unknown as Array<number | bigint>;
    let i = 0;
    forEachIndex(x!.shape, x!.strides, x!.offset, (at) => {
      dst[i++] = convert(src[at]!);
    });
  },
});

/** Converts x to `to` (a copy even when the dtype is unchanged). */
export function cast(x: Tensor, to: DType, options: { device?: string } = {}): Tensor {
  return apply1(castOp, [x], { to }, options);
}
