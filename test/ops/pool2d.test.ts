import * as lc from '../../src/index.js';
import { cpuKernels } from '../../src/backends/cpu/kernels/index.js';
import { avgPool2d as avgOp, globalAvgPool as gavgOp, globalMaxPool as gmaxOp, maxPool2d as maxOp, type AvgPool2dAttrs, type MaxPool2dAttrs } from '../../src/ops/pool2d.js';
import type { AutoPad } from '../../src/ops/window.js';
import { expectClose, referenceOutputs } from '../helpers/compare.js';
import { testDevices } from '../helpers/devices.js';
import { on, putOn, thrown } from '../helpers/ops.js';
import { randomArray, randomInt, rng } from '../helpers/random.js';

// Max pooling selects an input: exact (values and indices). Average pooling sums at most 16
// float32 values of magnitude <= 1 and divides: error <= ~18 ulps of 1, so atol 4e-6.
const EXACT = { atol: 0, rtol: 0 };
const AVG = { atol: 4e-6, rtol: 4e-6 };
const AUTO_PADS: AutoPad[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** Random pool configurations covering every attribute ONNX allows (explicit pads < kernel). */
function configs(seed: number, count: number): Array<{ shape: number[]; attrs: MaxPool2dAttrs & AvgPool2dAttrs }> {
  const r = rng(seed);
  const out = [];
  for (let c = 0; c < count; c++) {
    const k = [randomInt(r, 1, 4), randomInt(r, 1, 4)];
    const strides = [randomInt(r, 1, 3), randomInt(r, 1, 3)];
    const dilations = r() < 0.3 ? [randomInt(r, 1, 2), randomInt(r, 1, 2)] : undefined;
    const autoPad = AUTO_PADS[c % 4]!;
    const pads = autoPad === 'NOTSET' && r() < 0.8 ? [0, 1, 0, 1].map((_, i) => randomInt(r, 0, k[i % 2]! - 1)) : undefined;
    const span = k.map((kk, i) => (dilations?.[i] ?? 1) * (kk - 1) + 1);
    const shape = [randomInt(r, 1, 2), randomInt(r, 1, 3), span[0]! + randomInt(r, 0, 8), span[1]! + randomInt(r, 0, 8)];
    const attrs = { kernelShape: k, strides, dilations, pads, autoPad, ceilMode: r() < 0.5, countIncludePad: r() < 0.5 };
    out.push({ shape, attrs });
  }
  return out;
}

describe.each(testDevices())('pooling on %s', (device) => {
  const put = putOn(device);

  // 2x2 stride-2 max pooling has its own CPU plane kernel (8- and 4-wide blocks with an overlapping
  // tail, then scalars): widths around those block sizes, odd sizes (a dropped last row/column),
  // ties between taps, and infinities.
  test('maxPool2d 2x2 stride 2 on widths around the vector blocks', async () => {
    let seed = 500;
    for (const w of [2, 3, 7, 8, 9, 10, 15, 16, 17, 18, 26, 33, 40]) {
      for (const h of [2, 5]) {
        const n = 2 * 3 * h * w;
        const data = randomArray(n, seed++).map((v, i) => (i % 7 === 0 ? 0.5 : i % 11 === 0 ? -Infinity : v));
        const x = lc.tensor(data, [2, 3, h, w]);
        const attrs = { kernelShape: [2, 2], strides: [2, 2] };
        const { outputs } = referenceOutputs(maxOp, [x], attrs);
        expectClose(await lc.maxPool2d(x.to(device), attrs).data(), outputs[0]! as Float64Array, EXACT, `w=${w} h=${h}`);
      }
    }
  });

  // Windows inside the image at strides > 2 (MNIST's 3x3 / 3) take a plain-loop CPU kernel that
  // keeps four outputs in flight: rows of 1-9 outputs, rectangular windows, a dropped remainder.
  test('maxPool2d with strides wider than 2 and no padding', async () => {
    let seed = 550;
    for (const [k, s, h, w] of [[3, 3, 14, 14], [3, 3, 7, 28], [2, 3, 9, 10], [3, 4, 11, 30], [4, 3, 5, 3]] as const) {
      const x = lc.tensor(randomArray(2 * 3 * h * w, seed++).map((v, i) => (i % 5 === 0 ? 0.25 : v)), [2, 3, h, w]);
      const attrs = { kernelShape: [k, Math.max(1, k - 1)], strides: [s, s] };
      const { outputs } = referenceOutputs(maxOp, [x], attrs);
      expectClose(await lc.maxPool2d(x.to(device), attrs).data(), outputs[0]! as Float64Array, EXACT, `k=${k} s=${s} ${h}x${w}`);
    }
  });

  test('maxPool2d 4x4 and avgPool2d with pads, by hand', async () => {
    const x = put(Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]);
    expect(Array.from(await lc.maxPool2d(x, { kernelShape: [2, 2], strides: [2, 2] }).data())).toEqual([5, 7, 13, 15]);
    const [v, i] = lc.maxPool2dWithIndices(x, { kernelShape: [2, 2], strides: [2, 2] });
    expect(Array.from(await v.data())).toEqual([5, 7, 13, 15]);
    expect(Array.from(await i.data<BigInt64Array>())).toEqual([5n, 7n, 13n, 15n]);
    const [, cols] = lc.maxPool2dWithIndices(x, { kernelShape: [2, 2], strides: [2, 2], storageOrder: 1 });
    expect(Array.from(await cols.data<BigInt64Array>())).toEqual([5n, 13n, 7n, 15n]); // h + w*H
    const small = put([1, 2, 3, 4], [1, 1, 2, 2]);
    const opts = { kernelShape: [2, 2], pads: [1, 1, 1, 1] };
    expect(Array.from(await lc.avgPool2d(small, opts).data())).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
    expect(Array.from(await lc.avgPool2d(small, { ...opts, countIncludePad: true }).data())).toEqual([0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]);
    // ceilMode's extra window: padded cells count, cells beyond the pads do not (ONNX reference).
    const ones = put(new Float32Array(16).fill(1), [1, 1, 4, 4]);
    const y = lc.avgPool2d(ones, { kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true, countIncludePad: true });
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expectClose(await y.data(), [4 / 9, 2 / 3, 1 / 3, 2 / 3, 1, 0.5, 1 / 3, 0.5, 0.25], AVG);
    // ONNX test_averagepool_2d_ceil_last_window_starts_on_pad: the window starting on the pad is dropped.
    const last = lc.avgPool2d(small, { kernelShape: [3, 3], strides: [3, 3], pads: [1, 1, 1, 1], ceilMode: true, countIncludePad: true });
    expect(last.shape).toEqual([1, 1, 1, 1]);
    expectClose(await last.data(), [10 / 9], AVG);
    const gx = put([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    expect(Array.from(await lc.globalAvgPool(gx).data())).toEqual([2.5, 6.5]);
    expect(Array.from(await lc.globalMaxPool(gx).data())).toEqual([4, 8]);
    expect(lc.globalMaxPool(gx).shape).toEqual([1, 2, 1, 1]);
  });

  test('every attribute combination: random configs against the reference', async () => {
    for (const [c, { shape, attrs }] of configs(11, 160).entries()) {
      const x = lc.tensor(randomArray(shape.reduce((a, b) => a * b, 1), c + 1), shape);
      const label = `${JSON.stringify(shape)} ${JSON.stringify(attrs)}`;
      const { countIncludePad, ...maxAttrs } = attrs;
      const ref = referenceOutputs(maxOp, [x], { ...maxAttrs, returnIndices: true });
      const [v, i] = lc.maxPool2dWithIndices(on(device, x), maxAttrs);
      expect(v.shape).toEqual(ref.info.outputs[0]!.shape);
      expectClose(await v.data(), ref.outputs[0] as Float64Array, EXACT, `max ${label}`);
      expect(Array.from(await i.data<BigInt64Array>())).toEqual(Array.from(ref.outputs[1] as BigInt64Array));
      expectClose(await lc.maxPool2d(on(device, x), maxAttrs).data(), ref.outputs[0] as Float64Array, EXACT, `max ${label}`);
      const avgAttrs = { ...maxAttrs, countIncludePad };
      const avg = referenceOutputs(avgOp, [x], avgAttrs);
      expectClose(await lc.avgPool2d(on(device, x), avgAttrs).data(), avg.outputs[0] as Float64Array, AVG, `avg ${label}`);
    }
  });

  test('strided (NHWC transposed) input, larger planes, storageOrder 1, int8/uint8/float64', async () => {
    const nhwc = lc.tensor(randomArray(2 * 33 * 29 * 5, 3), [2, 33, 29, 5]);
    const x = lc.transpose(nhwc, { perm: [0, 3, 1, 2] });
    for (const attrs of [{ kernelShape: [3, 3] }, { kernelShape: [3, 2], strides: [2, 3], pads: [1, 0, 2, 1], ceilMode: true }]) {
      const ref = referenceOutputs(maxOp, [x], attrs);
      expectClose(await lc.maxPool2d(on(device, x), attrs).data(), ref.outputs[0] as Float64Array, EXACT);
      const avg = referenceOutputs(avgOp, [x], { ...attrs, countIncludePad: true });
      expectClose(await lc.avgPool2d(on(device, x), { ...attrs, countIncludePad: true }).data(), avg.outputs[0] as Float64Array, AVG);
    }
    const attrs = { kernelShape: [2, 3], strides: [1, 2], storageOrder: 1, returnIndices: true };
    const ref = referenceOutputs(maxOp, [x], attrs);
    const [, idx] = lc.maxPool2dWithIndices(on(device, x), attrs);
    expect(Array.from(await idx.data<BigInt64Array>())).toEqual(Array.from(ref.outputs[1] as BigInt64Array));
    for (const dtype of ['int8', 'uint8', 'float64'] as const) {
      const t = lc.tensor(Array.from({ length: 2 * 3 * 7 * 6 }, (_, i) => (i * 37) % 101 - (dtype === 'uint8' ? 0 : 50)), [2, 3, 7, 6], { dtype });
      const r = referenceOutputs(maxOp, [t], { kernelShape: [2, 2], pads: [1, 1, 0, 0] });
      expect(Array.from(await lc.maxPool2d(on(device, t), { kernelShape: [2, 2], pads: [1, 1, 0, 0] }).data<Float64Array>())).toEqual(Array.from(r.outputs[0] as Float64Array));
    }
  });

  test('global pools: ranks 3-5, strided views, empty batch', async () => {
    for (const [i, shape] of [[2, 3, 7], [1, 5, 13, 17], [2, 2, 3, 4, 5], [3, 1, 1, 1], [0, 3, 4, 4], [1, 2, 300, 301]].entries()) {
      const x = lc.tensor(randomArray(shape.reduce((a, b) => a * b, 1), i + 40), shape);
      for (const [op, fn, tol] of [[gavgOp, lc.globalAvgPool, { atol: 1e-6, rtol: 1e-5 }], [gmaxOp, lc.globalMaxPool, EXACT]] as const) {
        const ref = referenceOutputs(op, [x], {});
        const y = fn(on(device, x));
        expect(y.shape).toEqual(ref.info.outputs[0]!.shape);
        expectClose(await y.data(), ref.outputs[0] as Float64Array, tol, `${op.name} ${JSON.stringify(shape)}`);
      }
    }
    const t = lc.transpose(lc.tensor(randomArray(4 * 5 * 6, 9), [6, 5, 4]), { perm: [2, 1, 0] });
    expectClose(await lc.globalMaxPool(on(device, t)).data(), referenceOutputs(gmaxOp, [t], {}).outputs[0] as Float64Array, EXACT);
  });

  test('errors: attributes, shapes, dtypes', () => {
    const x = put(new Float32Array(2 * 3 * 5 * 5), [2, 3, 5, 5]);
    expect(thrown(() => lc.maxPool2d(x, {} as MaxPool2dAttrs))).toMatch(/^BAD_ATTRIBUTE: maxPool2d: kernelShape must be an array of 2 integers >= 1, got undefined/);
    expect(thrown(() => lc.avgPool2d(x, { kernelShape: [0, 2] }))).toMatch(/^BAD_ATTRIBUTE: avgPool2d: kernelShape/);
    expect(thrown(() => lc.maxPool2d(x, { kernelShape: [2, 2], pads: [2, 0, 0, 0] }))).toMatch(/^BAD_ATTRIBUTE: maxPool2d: pads must be smaller than kernelShape/);
    expect(thrown(() => lc.maxPool2d(x, { kernelShape: [2, 2], strides: [0, 1] }))).toMatch(/^BAD_ATTRIBUTE: maxPool2d: strides/);
    expect(thrown(() => lc.maxPool2d(x, { kernelShape: [2, 2], autoPad: 'SAME' as AutoPad }))).toMatch(/^BAD_ATTRIBUTE: maxPool2d: autoPad/);
    expect(thrown(() => lc.maxPool2d(x, { kernelShape: [2, 2], autoPad: 'VALID', pads: [1, 1, 1, 1] }))).toMatch(/^BAD_ATTRIBUTE: maxPool2d: pads must be absent/);
    expect(thrown(() => lc.maxPool2d(x, { kernelShape: [2, 2], storageOrder: 2 }))).toMatch(/^BAD_ATTRIBUTE: maxPool2d: storageOrder/);
    expect(thrown(() => lc.avgPool2d(x, { kernelShape: [2, 2], countIncludePad: 'yes' as unknown as boolean }))).toMatch(/^BAD_ATTRIBUTE: avgPool2d: countIncludePad/);
    expect(thrown(() => lc.avgPool2d(x, { kernelShape: [2, 2], storageOrder: 0 } as AvgPool2dAttrs))).toMatch(/^BAD_ATTRIBUTE: avgPool2d: option "storageOrder"/);
    expect(thrown(() => lc.maxPool2d(put(new Float32Array(6), [1, 2, 3]), { kernelShape: [1, 1] }))).toMatch(/^SHAPE_MISMATCH: maxPool2d: x rank must be 4/);
    expect(thrown(() => lc.maxPool2d(x, { kernelShape: [6, 2] }))).toMatch(/^SHAPE_MISMATCH: maxPool2d: input spatial dim 0/);
    expect(thrown(() => lc.globalAvgPool(put([1, 2], [1, 2])))).toMatch(/^SHAPE_MISMATCH: globalAvgPool: x rank/);
    expect(thrown(() => lc.maxPool2d(put(new Int32Array(4), [1, 1, 2, 2]), { kernelShape: [1, 1] }))).toMatch(/^DTYPE_UNSUPPORTED: maxPool2d: x dtype/);
    expect(thrown(() => lc.avgPool2d(put(new Uint8Array(4), [1, 1, 2, 2]), { kernelShape: [1, 1] }))).toMatch(/^DTYPE_UNSUPPORTED: avgPool2d: x dtype/);
  });
});

test('float32 pools take the native kernel; storageOrder 1 indices and other dtypes do not', () => {
  const x = lc.tensor(new Float32Array(16), [1, 1, 4, 4]);
  const accepts = (name: string, op: typeof maxOp | typeof avgOp | typeof gavgOp, t: lc.Tensor, attrs: object) =>
    cpuKernels[name]!.accepts((op as typeof maxOp).infer([t], attrs as MaxPool2dAttrs), [t.view()], attrs);
  expect(accepts('maxPool2d', maxOp, x, { kernelShape: [2, 2], returnIndices: true })).toBe(true);
  expect(accepts('maxPool2d', maxOp, x, { kernelShape: [2, 2], storageOrder: 1 })).toBe(true);
  expect(accepts('maxPool2d', maxOp, x, { kernelShape: [2, 2], storageOrder: 1, returnIndices: true })).toBe(false);
  expect(accepts('avgPool2d', avgOp, x, { kernelShape: [2, 2] })).toBe(true);
  expect(accepts('globalAvgPool', gavgOp, x, {})).toBe(true);
  const d = lc.tensor(new Float64Array(16), [1, 1, 4, 4]);
  expect(accepts('avgPool2d', avgOp, d, { kernelShape: [2, 2] })).toBe(false);
});
