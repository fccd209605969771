import { bytesPerElement, type DType } from '../dtype.js';
import { fail, show } from '../errors.js';
import { sizeOf } from '../shape.js';
import type { TensorMeta } from '../tensor.js';
import { boolean, integer, knownKeys, requireFloat, requireInput, requireRank } from './attrs.js';
import { defineOp, outputOf, rawReader, storeNumber, type OpInfo } from './op.js';
import { resolveWindow, type Window, type WindowAttrs } from './window.js';

export interface Pool2dAttrs extends WindowAttrs {
  /** [KH, KW]: required. */
  kernelShape: readonly number[];
  device?: string;
}

export interface MaxPool2dAttrs extends Pool2dAttrs {
  /** Layout of the returned indices: 0 row-major (h*W+w), 1 column-major (h+w*H). */
  storageOrder?: number;
  /** Adds ONNX MaxPool's second output, int64 flat indices into x. Eager: use maxPool2dWithIndices. */
  returnIndices?: boolean;
}

export interface AvgPool2dAttrs extends Pool2dAttrs {
  /** Divide by the whole window clipped to the explicitly padded input (ceilMode's extra cells never count). */
  countIncludePad?: boolean;
}

export interface Pool2dInfo extends OpInfo {
  readonly N: number; readonly C: number; readonly H: number; readonly W: number;
  readonly OH: number; readonly OW: number;
  readonly window: Window;
  readonly dtype: DType;
  readonly isMax: boolean;
  readonly countIncludePad: boolean;
  readonly storageOrder: number;
  readonly returnIndices: boolean;
}

const WINDOW_KEYS = ['kernelShape', 'strides', 'pads', 'dilations', 'ceilMode', 'autoPad', 'device'];
/** ONNX MaxPool's element types. */
const MAX_DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'int8', 'uint8'];

function inferPool(op: string, x0: TensorMeta | undefined, attrs: Partial<MaxPool2dAttrs & AvgPool2dAttrs> | undefined,
  isMax: boolean): Pool2dInfo {
  const x = requireInput(op, 'x', x0);
  requireRank(op, 'x', x, 4, 'N,C,H,W');
  if (isMax && !MAX_DTYPES.includes(x.dtype)) fail('DTYPE_UNSUPPORTED', op, 'x dtype', MAX_DTYPES.join('|'), x.dtype);
  if (!isMax) requireFloat(op, 'x', x);
  const ks = attrs?.kernelShape;
  if (!Array.isArray(ks) || ks.length !== 2 || !ks.every((k) => Number.isInteger(k) && k >= 1)) {
    fail('BAD_ATTRIBUTE', op, 'kernelShape', 'an array of 2 integers >= 1', ks);
  }
  // ONNX Runtime's rule: an explicit pad must be smaller than the kernel.
  const pads = attrs?.pads;
  if (Array.isArray(pads) && pads.length === 4 && pads.some((p, i) => p >= ks[i % 2]!)) {
    fail('BAD_ATTRIBUTE', op, 'pads', `smaller than kernelShape ${show(ks)}`, pads);
  }
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const ceilMode = boolean(op, 'ceilMode', attrs?.ceilMode, false);
  const window = resolveWindow(op, [H, W], ks, attrs ?? {}, ceilMode);
  const [OH, OW] = window.outSpatial as [number, number];
  const returnIndices = isMax && boolean(op, 'returnIndices', attrs?.returnIndices, false);
  const shape = [N, C, OH, OW];
  const outputs = returnIndices
    ? Object.freeze([...outputOf(shape, x.dtype), ...outputOf(shape, 'int64')])
    : outputOf(shape, x.dtype);
  return Object.freeze({
    outputs, N, C, H, W, OH, OW, window, dtype: x.dtype, isMax,
    countIncludePad: !isMax && boolean(op, 'countIncludePad', attrs?.countIncludePad, false),
    storageOrder: isMax ? integer(op, 'storageOrder', attrs?.storageOrder, 0, 0, 1) : 0,
    returnIndices,
  });
}

function poolCost(i: Pool2dInfo): { flops: number; bytes: number } {
  const out = i.N * i.C * i.OH * i.OW;
  const e = bytesPerElement(i.dtype);
  return { flops: out * i.window.kernel[0]! * i.window.kernel[1]!, bytes: e * (i.N * i.C * i.H * i.W + out) + (i.returnIndices ? 8 * out : 0) };
}

/** The most negative finite value of a dtype: what an all-padding max window yields (as ONNX Runtime). */
function lowest(dtype: DType): number {
  switch (dtype) {
    case 'float64': return -Number.MAX_VALUE;
    case 'float16': return -65504;
    case 'int8': return -128;
    case 'uint8': return 0;
    default: return -3.4028234663852886e38;
  }
}

/** Valid input rows/cols of one output position along a dim (taps stepping by dilation). */
function taps(start: number, k: number, d: number, lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < k; t++) if (start + t * d >= lo && start + t * d < hi) out.push(start + t * d);
  return out;
}

/**
 * ONNX MaxPool on NCHW (2-D). Ties and NaN: the first valid tap starts the window, a later tap
 * replaces it only when strictly greater (first maximum wins). A window entirely in padding gives
 * the dtype's lowest value and index -1.
 */
export const maxPool2d = defineOp<MaxPool2dAttrs, Pool2dInfo>({
  name: 'maxPool2d',
  infer(inputs, attrs) {
    knownKeys('maxPool2d', attrs, [...WINDOW_KEYS, 'storageOrder', 'returnIndices']);
    return inferPool('maxPool2d', inputs[0], attrs, true);
  },
  cost: poolCost,
  reference(info, [x], [y, indices]) {
    const { N, C, H, W, OH, OW, window: win } = info;
    const read = rawReader(x!), store = storeNumber(info.dtype, y!);
    const idx = indices as BigInt64Array | undefined;
    const [xs0, xs1, xs2, xs3] = x!.strides as [number, number, number, number];
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const base = x!.offset + n * xs0 + c * xs1;
        for (let oh = 0; oh < OH; oh++) {
          const rows = taps(oh * win.strides[0]! - win.pads[0]!, win.kernel[0]!, win.dilations[0]!, 0, H);
          for (let ow = 0; ow < OW; ow++) {
            const cols = taps(ow * win.strides[1]! - win.pads[1]!, win.kernel[1]!, win.dilations[1]!, 0, W);
            let best = lowest(info.dtype), at = -1;
            for (const ih of rows) {
              for (const iw of cols) {
                const v = read(base + ih * xs2 + iw * xs3);
                if (at < 0 || v > best) {
                  best = v;
                  at = info.storageOrder === 0 ? ih * W + iw : ih + iw * H;
                }
              }
            }
            const o = ((n * C + c) * OH + oh) * OW + ow;
            store(o, best);
            if (idx) idx[o] = BigInt(at < 0 ? -1 : (n * C + c) * H * W + at);
          }
        }
      }
    }
  },
});

/**
 * ONNX AveragePool on NCHW (2-D). Without countIncludePad the divisor is the number of real input
 * cells in the window; with it, the cells inside the explicit (or auto) pads count too, but not
 * those ceilMode adds beyond them (ONNX reference). A window with nothing to count gives 0.
 */
export const avgPool2d = defineOp<AvgPool2dAttrs, Pool2dInfo>({
  name: 'avgPool2d',
  infer(inputs, attrs) {
    knownKeys('avgPool2d', attrs, [...WINDOW_KEYS, 'countIncludePad']);
    return inferPool('avgPool2d', inputs[0], attrs, false);
  },
  cost: poolCost,
  reference(info, [x], [y]) {
    const { N, C, H, W, OH, OW, window: win } = info;
    const [pt, pl, pb, pr] = win.pads as [number, number, number, number];
    const read = rawReader(x!), store = storeNumber(info.dtype, y!);
    const [xs0, xs1, xs2, xs3] = x!.strides as [number, number, number, number];
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        const base = x!.offset + n * xs0 + c * xs1;
        for (let oh = 0; oh < OH; oh++) {
          const h0 = oh * win.strides[0]! - pt;
          const rows = taps(h0, win.kernel[0]!, win.dilations[0]!, 0, H);
          const padRows = taps(h0, win.kernel[0]!, win.dilations[0]!, -pt, H + pb).length;
          for (let ow = 0; ow < OW; ow++) {
            const w0 = ow * win.strides[1]! - pl;
            const cols = taps(w0, win.kernel[1]!, win.dilations[1]!, 0, W);
            let sum = 0;
            for (const ih of rows) for (const iw of cols) sum += read(base + ih * xs2 + iw * xs3);
            const count = info.countIncludePad
              ? padRows * taps(w0, win.kernel[1]!, win.dilations[1]!, -pl, W + pr).length
              : rows.length * cols.length;
            store(((n * C + c) * OH + oh) * OW + ow, count > 0 ? sum / count : 0);
          }
        }
      }
    }
  },
});

export interface GlobalPoolAttrs {
  device?: string;
}

export interface GlobalPoolInfo extends OpInfo {
  /** N*C planes of `spatial` elements each. */
  readonly nc: number;
  readonly spatial: number;
  readonly dtype: DType;
  readonly isMax: boolean;
}

function defineGlobalPool(name: 'globalAvgPool' | 'globalMaxPool') {
  const isMax = name === 'globalMaxPool';
  return defineOp<GlobalPoolAttrs, GlobalPoolInfo>({
    name,
    infer(inputs, attrs) {
      knownKeys(name, attrs, ['device']);
      const x = requireInput(name, 'x', inputs[0]);
      if (x.shape.length < 3) fail('SHAPE_MISMATCH', name, 'x rank', 'at least 3 (N,C,spatial...)', `${x.shape.length} (shape ${show(x.shape)})`);
      requireFloat(name, 'x', x);
      const [N, C, ...rest] = x.shape as [number, number, ...number[]];
      const out = [N, C, ...rest.map(() => 1)];
      return Object.freeze({ outputs: outputOf(out, x.dtype), nc: N * C, spatial: sizeOf(rest), dtype: x.dtype, isMax });
    },
    cost(i) {
      return { flops: i.nc * i.spatial, bytes: bytesPerElement(i.dtype) * i.nc * (i.spatial + 1) };
    },
    reference(info, [x], [y]) {
      // Row-major over [N*C, spatial] through the view's strides.
      const read = rawReader(x!), store = storeNumber(info.dtype, y!);
      const v = x!;
      const rank = v.shape.length;
      const spatialShape = v.shape.slice(2);
      for (let p = 0; p < info.nc; p++) {
        const n = Math.floor(p / v.shape[1]!), c = p % v.shape[1]!;
        let acc = isMax ? lowest(info.dtype) : 0;
        for (let s = 0; s < info.spatial; s++) {
          let rem = s, at = v.offset + n * v.strides[0]! + c * v.strides[1]!;
          for (let d = rank - 1; d >= 2; d--) {
            at += (rem % spatialShape[d - 2]!) * v.strides[d]!;
            rem = Math.floor(rem / spatialShape[d - 2]!);
          }
          const e = read(at);
          if (!isMax) acc += e;
          else if (s === 0 || e > acc || e !== e) acc = e; // NaN anywhere propagates
        }
        store(p, isMax ? acc : info.spatial > 0 ? acc / info.spatial : 0);
      }
    },
  });
}

/** ONNX GlobalAveragePool / GlobalMaxPool: x [N,C,d1..dk] -> [N,C,1..1]. An empty plane gives 0 (avg) or the lowest value (max). */
export const globalAvgPool = defineGlobalPool('globalAvgPool');
export const globalMaxPool = defineGlobalPool('globalMaxPool');
