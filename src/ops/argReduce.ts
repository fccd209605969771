import { bytesPerElement, halfBitsToFloat32, type DType } from '../dtype.js';
import { fail, show } from '../errors.js';
import { forEachIndex, normalizeAxis, sizeOf } from '../shape.js';
import { boolean, knownKeys, requireInput } from './attrs.js';
import { defineOp, outputOf, type OpDef, type OpInfo } from './op.js';

export interface ArgReduceAttrs {
  /** The axis to search (negative counts from the end; default 0). */
  axis?: number;
  /** Keep the searched axis as size 1 (default true). */
  keepdims?: boolean;
  /** On ties, the last index instead of the first. */
  selectLastIndex?: boolean;
  device?: string;
}

export interface ArgReduceInfo extends OpInfo {
  readonly isMax: boolean;
  /** Normalised axis. */
  readonly axis: number;
  readonly axisLength: number;
  readonly selectLastIndex: boolean;
  readonly dtype: DType;
}

/**
 * ONNX ArgMax/ArgMin: int64 indices along one axis. NaN counts as the extreme (as numpy and the
 * native kernel do): the first NaN wins, or the last with selectLastIndex.
 */
function defineArgReduce(name: 'argmax' | 'argmin'): OpDef<ArgReduceAttrs, ArgReduceInfo> {
  const isMax = name === 'argmax';
  return defineOp<ArgReduceAttrs, ArgReduceInfo>({
    name,
    infer(inputs, attrs) {
      knownKeys(name, attrs, ['axis', 'keepdims', 'selectLastIndex', 'device']);
      const x = requireInput(name, 'x', inputs[0]);
      if (x.dtype === 'bool') fail('DTYPE_UNSUPPORTED', name, 'x dtype', 'a numeric dtype', x.dtype);
      if (x.shape.length === 0) fail('SHAPE_MISMATCH', name, 'x rank', 'at least 1', `0 (a scalar)`);
      const axis = normalizeAxis(name, 'axis', attrs?.axis ?? 0, x.shape.length);
      if (x.shape[axis] === 0) fail('SHAPE_MISMATCH', name, `x dim ${axis} (the axis)`, 'at least 1', `0 (x ${show(x.shape)})`);
      const keepdims = boolean(name, 'keepdims', attrs?.keepdims, true);
      const out = x.shape.flatMap((n, d) => (d !== axis ? [n] : keepdims ? [1] : []));
      return Object.freeze({
        outputs: outputOf(out, 'int64'), isMax, axis, axisLength: x.shape[axis]!,
        selectLastIndex: boolean(name, 'selectLastIndex', attrs?.selectLastIndex, false), dtype: x.dtype,
      });
    },
    cost(info) {
      const n = sizeOf(info.outputs[0]!.shape);
      return { flops: n * info.axisLength, bytes: 8 * n + bytesPerElement(info.dtype) * n * info.axisLength };
    },
    reference(info, [x0], [y]) {
      const x = x0!;
      const { axis, selectLastIndex: last } = info;
      const data = x.data as unknown as ArrayLike<number | bigint>;
      // Raw values compare exactly (bigints for 64-bit ints); float16 bits are decoded first.
      const read = x.dtype === 'float16' ? (i: number) => halfBitsToFloat32(data[i] as number) : (i: number) => data[i]!;
      const better = (v: number | bigint, best: number | bigint): boolean => {
        if (v !== v) return last || best === best; // NaN beats numbers; among NaNs the first wins (the last with selectLastIndex)
        if (best !== best) return false;
        return isMax ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
      };
      const dims = [...x.shape.keys()].filter((d) => d !== axis);
      const L = info.axisLength, s = x.strides[axis]!;
      const out = y as BigInt64Array;
      let o = 0;
      forEachIndex(dims.map((d) => x.shape[d]!), dims.map((d) => x.strides[d]!), x.offset, (base) => {
        let bi = 0;
        let bv = read(base);
        for (let i = 1; i < L; i++) {
          const v = read(base + i * s);
          if (better(v, bv)) {
            bv = v;
            bi = i;
          }
        }
        out[o++] = BigInt(bi);
      });
    },
  });
}

export const argmax = defineArgReduce('argmax');
export const argmin = defineArgReduce('argmin');
