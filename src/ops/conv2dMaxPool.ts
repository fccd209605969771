import { bytesPerElement, elementWriter } from '../dtype.js';
import { fail } from '../errors.js';
import { conv2d, type Conv2dAttrs, type Conv2dInfo } from './conv2d.js';
import { defineOp, outputOf } from './op.js';

/** The conv's info plus the pooled output size. */
export interface Conv2dMaxPoolInfo extends Conv2dInfo {
  /** The conv alone (its output [N, M, OH, OW] before the pool). */
  readonly conv: Conv2dInfo;
  readonly PH: number; readonly PW: number;
}

/**
 * conv2d (with its fused activation) followed by a 2x2 / stride-2 max pool without padding (floor),
 * as one op. The graph's fusion pass makes it for CPU plans: the CPU's Winograd kernel pools in its
 * output transform (each 2x2 output tile is one pool window), the other paths through an L2-sized
 * buffer, so the full-size conv output never goes to memory. Ties and NaN follow maxPool2d: in
 * window order, a later value replaces the maximum only when it is greater.
 */
export const conv2dMaxPool = defineOp<Conv2dAttrs, Conv2dMaxPoolInfo>({
  name: 'conv2dMaxPool',
  infer(inputs, attrs) {
    const op = 'conv2dMaxPool';
    const conv = conv2d.infer(inputs, attrs);
    // relu commutes with the max; gelu and sigmoid run after the conv on some paths, so not here.
    if (conv.activation !== 'none' && conv.activation !== 'relu') fail('BAD_ATTRIBUTE', op, 'activation', "'none' or 'relu'", conv.activation);
    if (conv.OH < 2 || conv.OW < 2) fail('SHAPE_MISMATCH', op, 'conv output', 'at least 2x2 for the 2x2 pool', [conv.OH, conv.OW]);
    const PH = Math.floor(conv.OH / 2), PW = Math.floor(conv.OW / 2);
    return Object.freeze({ ...conv, outputs: outputOf([conv.N, conv.M, PH, PW], conv.dtype), conv, PH, PW });
  },
  cost(i) {
    const c = conv2d.cost(i.conv);
    return { flops: c.flops, bytes: c.bytes - bytesPerElement(i.dtype) * i.N * i.M * (i.OH * i.OW - i.PH * i.PW) };
  },
  reference(info, inputs, [y]) {
    const { N, M, OH, OW, PH, PW } = info;
    const full = new Float64Array(N * M * OH * OW);
    conv2d.reference({ ...info.conv, dtype: 'float64' }, inputs, [full]);
    const write = elementWriter(info.dtype);
    const out = y as unknown as Array<number | bigint>;
    for (let nm = 0; nm < N * M; nm++) {
      for (let ph = 0; ph < PH; ph++) {
        for (let pw = 0; pw < PW; pw++) {
          const at = (nm * OH + 2 * ph) * OW + 2 * pw;
          let best = full[at]!;
          for (const v of [full[at + 1]!, full[at + OW]!, full[at + OW + 1]!]) if (v > best) best = v;
          out[(nm * PH + ph) * PW + pw] = write(best);
        }
      }
    }
  },
});
