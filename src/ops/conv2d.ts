import { bytesPerElement, elementWriter, type DType } from '../dtype.js';
import { fail, show } from '../errors.js';
import { convActivation, integer, intList, knownKeys, requireFloat, requireInput, requireRank, requireSameDType, type ConvActivation } from './attrs.js';
import { defineOp, outputOf, rawReader, type OpInfo } from './op.js';
import { UNARY_FNS } from './unary.js';
import { resolveWindow, type AutoPad, type Window } from './window.js';

export interface Conv2dAttrs {
  /** Bias is an input tensor; in the eager API it is passed as an option. */
  strides?: readonly number[];
  /** [top, left, bottom, right] (ONNX order: begins then ends). */
  pads?: readonly number[];
  dilations?: readonly number[];
  groups?: number;
  autoPad?: AutoPad;
  kernelShape?: readonly number[];
  /** Fused epilogue (set by the graph's fusion pass): relu, gelu (exact) or sigmoid. */
  activation?: ConvActivation;
  device?: string;
}

export interface Conv2dInfo extends OpInfo {
  readonly N: number; readonly C: number; readonly H: number; readonly W: number;
  readonly M: number; readonly OH: number; readonly OW: number;
  readonly KH: number; readonly KW: number;
  readonly groups: number;
  readonly window: Window;
  readonly hasBias: boolean;
  readonly dtype: DType;
  readonly activation: ConvActivation;
}

/** ONNX Conv in NCHW: x [N,C,H,W], w [M,C/groups,KH,KW], optional bias [M]. */
export const conv2d = defineOp<Conv2dAttrs, Conv2dInfo>({
  name: 'conv2d',
  infer(inputs, attrs) {
    const op = 'conv2d';
    knownKeys(op, attrs, ['bias', 'strides', 'pads', 'dilations', 'groups', 'autoPad', 'kernelShape', 'activation', 'device']);
    const x = requireInput(op, 'x', inputs[0]);
    const w = requireInput(op, 'w', inputs[1]);
    const bias = inputs[2];
    requireRank(op, 'x', x, 4, 'N,C,H,W');
    requireRank(op, 'w', w, 4, 'M,C/groups,KH,KW');
    requireFloat(op, 'x', x);
    requireSameDType(op, 'w', w, x.dtype);
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const [M, Cg, KH, KW] = w.shape as [number, number, number, number];
    const groups = integer(op, 'groups', attrs?.groups, 1, 1);
    if (C % groups !== 0) fail('BAD_ATTRIBUTE', op, 'groups', `a divisor of the input channels ${C}`, groups);
    if (M % groups !== 0) fail('BAD_ATTRIBUTE', op, 'groups', `a divisor of the output channels ${M}`, groups);
    if (Cg * groups !== C) fail('SHAPE_MISMATCH', op, 'w dim 1', `${C / groups} (input channels ${C} / groups ${groups})`, `${Cg} (w ${show(w.shape)})`);
    if (KH < 1 || KW < 1) fail('SHAPE_MISMATCH', op, 'w kernel size', 'at least 1x1', w.shape);
    if (attrs?.kernelShape !== undefined) {
      const ks = intList(op, 'kernelShape', attrs.kernelShape, 2, 1, 1);
      if (ks[0] !== KH || ks[1] !== KW) fail('BAD_ATTRIBUTE', op, 'kernelShape', `the kernel size of w [${KH},${KW}]`, ks);
    }
    if (bias) {
      requireSameDType(op, 'bias', bias, x.dtype);
      if (bias.shape.length !== 1 || bias.shape[0] !== M) fail('SHAPE_MISMATCH', op, 'bias shape', `[${M}]`, bias.shape);
    }
    const window = resolveWindow(op, [H, W], [KH, KW], attrs ?? {});
    const [OH, OW] = window.outSpatial as [number, number];
    return Object.freeze({
      outputs: outputOf([N, M, OH, OW], x.dtype), N, C, H, W, M, OH, OW, KH, KW, groups, window,
      hasBias: bias !== undefined, dtype: x.dtype, activation: convActivation(op, attrs?.activation),
    });
  },
  cost(i) {
    const flops = 2 * i.N * i.M * i.OH * i.OW * (i.C / i.groups) * i.KH * i.KW;
    return { flops, bytes: bytesPerElement(i.dtype) * (i.N * i.C * i.H * i.W + i.M * (i.C / i.groups) * i.KH * i.KW + i.N * i.M * i.OH * i.OW) };
  },
  reference(info, [x, w, bias], [y]) {
    const { N, C, H, W, M, OH, OW, KH, KW, groups } = info;
    const [sh, sw] = info.window.strides as [number, number];
    const [dh, dw] = info.window.dilations as [number, number];
    const [pt, pl] = info.window.pads as [number, number];
    const readX = rawReader(x!), readW = rawReader(w!), readB = bias ? rawReader(bias) : undefined;
    const [xs0, xs1, xs2, xs3] = x!.strides as [number, number, number, number];
    const [ws0, ws1, ws2, ws3] = w!.strides as [number, number, number, number];
    const write = elementWriter(info.dtype);
    const out = y as unknown as Array<number | bigint>;
    const cg = C / groups, mg = M / groups;
    for (let n = 0; n < N; n++) {
      for (let m = 0; m < M; m++) {
        const g = Math.floor(m / mg);
        const b = readB ? readB(bias!.offset + m * bias!.strides[0]!) : 0;
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            let acc = b;
            for (let c = 0; c < cg; c++) {
              for (let kh = 0; kh < KH; kh++) {
                const ih = oh * sh - pt + kh * dh;
                if (ih < 0 || ih >= H) continue;
                for (let kw = 0; kw < KW; kw++) {
                  const iw = ow * sw - pl + kw * dw;
                  if (iw < 0 || iw >= W) continue;
                  acc += readX(x!.offset + n * xs0 + (g * cg + c) * xs1 + ih * xs2 + iw * xs3) *
                    readW(w!.offset + m * ws0 + c * ws1 + kh * ws2 + kw * ws3);
                }
              }
            }
            if (info.activation !== 'none') acc = UNARY_FNS[info.activation](acc);
            out[((n * M + m) * OH + oh) * OW + ow] = write(acc);
          }
        }
      }
    }
  },
});
