import * as lc from '../../src/index.js';
import { cpuKernels } from '../../src/backends/cpu/kernels/index.js';
import { halfBitsToFloat32 } from '../../src/dtype.js';
import { logSoftmax as logSoftmaxOp, softmax as softmaxOp, type SoftmaxAttrs } from '../../src/ops/softmax.js';
import { expectClose, referenceOutputs, type Tolerance } from '../helpers/compare.js';
import { testDevices } from '../helpers/devices.js';
import { on, putOn, reportFallbacks, stridedTensor, thrown } from '../helpers/ops.js';
import { randomArray, randomInt, rng } from '../helpers/random.js';

// Every case on every device against the float64 reference. With the addon loaded float32 runs the
// native kernel; LEPTON_NATIVE=off runs the reference, which the known answers check on their own.

const OPS = { softmax: softmaxOp, logSoftmax: logSoftmaxOp } as const;
type Name = keyof typeof OPS;
const EPS32 = 2 ** -24;

/**
 * float32 softmax: each exp(x - max) is within a few ulps, the row sum of L terms in (0, 1] adds at
 * most L ulps of relative error (worst case, linear), and the divide one more: rtol 4·eps·(4 + L).
 * logSoftmax is x - max - log(sum): the same sum error becomes absolute, plus an ulp of |x - max|
 * (<= 10 for inputs in [-5, 5]).
 */
function tolerance(name: Name, axisLength: number): Tolerance {
  const sumErr = 4 * EPS32 * (4 + axisLength);
  return name === 'softmax' ? { atol: 1e-30, rtol: sumErr } : { atol: sumErr + 16 * EPS32, rtol: 4 * EPS32 };
}

reportFallbacks();

async function check(name: Name, x: lc.Tensor, attrs: SoftmaxAttrs, device: string): Promise<void> {
  const { info, outputs } = referenceOutputs(OPS[name], [x], attrs);
  const y = lc[name](on(device, x), attrs);
  expect(y.shape).toEqual(x.shape);
  expect(y.dtype).toBe(x.dtype);
  expectClose(await y.data(), outputs[0]!, tolerance(name, info.axisLength), `${name} ${JSON.stringify(x.shape)} ${JSON.stringify(attrs)}`);
}

const NAMES = ['softmax', 'logSoftmax'] as const;

test('float32 softmax takes the native kernel when the addon is loaded', () => {
  const x = stridedTensor([3, 4], 1, -5, 5);
  for (const name of NAMES) {
    expect(cpuKernels[name]!.accepts(OPS[name].infer([x], {}), [x.view()], {})).toBe(true);
    const f64 = lc.tensor([1, 2], [2], { dtype: 'float64' });
    expect(cpuKernels[name]!.accepts(OPS[name].infer([f64], {}), [f64.view()], {})).toBe(false);
  }
});

describe.each(testDevices())('softmax on %s', (device) => {
  const put = putOn(device);

  test.each(NAMES)('%s: random shapes, ranks 1-5, every axis, contiguous and strided', async (name) => {
    const r = rng(3);
    const dims = [1, 2, 3, 5, 7, 13, 31];
    for (let c = 0; c < 24; c++) {
      const rank = randomInt(r, 1, 5);
      const shape = Array.from({ length: rank }, () => dims[randomInt(r, 0, rank > 3 ? 4 : dims.length - 1)]!);
      for (let axis = -rank; axis < rank; axis++) {
        const x = c % 2 ? stridedTensor(shape, 10 * c + axis + 5, -5, 5) : lc.tensor(randomArray(shape.reduce((a, b) => a * b, 1), c, -5, 5), shape);
        await check(name, x, { axis }, device);
      }
      await check(name, stridedTensor(shape, 900 + c, -5, 5), {}, device); // default axis -1
    }
  });

  test.each(NAMES)('%s: long rows, wide inner extents, threaded sizes', async (name) => {
    const cases: Array<[number[], number]> = [[[4099], 0], [[3, 1031], 1], [[2, 300, 129], 1], [[64, 3, 300], 1], [[1, 600, 300], 1], [[700, 97], 0]];
    for (const [i, [shape, axis]] of cases.entries()) {
      await check(name, lc.tensor(randomArray(shape.reduce((a, b) => a * b, 1), 20 + i, -5, 5), shape), { axis }, device);
      await check(name, stridedTensor(shape, 30 + i, -5, 5), { axis }, device);
    }
  });

  test('known answers (ONNX examples) and stability with large inputs', async () => {
    const row = [-1, 0, 1];
    const z = Math.exp(-1) + 1 + Math.exp(1);
    expectClose(await lc.softmax(put([row])).data(), row.map((v) => Math.exp(v) / z), { atol: 0, rtol: 4 * EPS32 });
    expectClose(await lc.logSoftmax(put([row])).data(), row.map((v) => v - Math.log(z)), { atol: 0, rtol: 4 * EPS32 });
    // Shifting by the max: exp(1000) would overflow, the answer is that of [0, -1, -2000].
    const big = put([[1000, 999, -1000], [1000, 999, -1000]]);
    const z2 = 1 + Math.exp(-1);
    expectClose(await lc.softmax(big, { axis: 1 }).data(), [1 / z2, Math.exp(-1) / z2, 0, 1 / z2, Math.exp(-1) / z2, 0], { atol: 1e-30, rtol: 4 * EPS32 });
    // Along axis 0 (ONNX opset 13: one axis, not the flattened tail): columns of [[1,2],[3,4]].
    const s = 1 / (1 + Math.exp(2));
    expectClose(await lc.softmax(put([[1, 2], [3, 4]]), { axis: 0 }).data(), [s, s, 1 - s, 1 - s], { atol: 0, rtol: 4 * EPS32 });
  });

  // Kernels must return (x - max) - log(sum): forming max + log(sum) first costs an ulp of |max|.
  test('logSoftmax keeps full precision with large logits', async () => {
    // A few ulps of the answer plus WGSL's log precision (2^-21 absolute near 1); an ulp of 1000 is 6e-5.
    const tol = { atol: 2 ** -20, rtol: 4 * EPS32 };
    const z2 = 1 + Math.exp(-1);
    const y = await lc.logSoftmax(put([[1000, 999, -1000], [-1000, 1000, 999]]), { axis: -1 }).data();
    expectClose(y, [-Math.log(z2), -1 - Math.log(z2), -2000 - Math.log(z2), -2000 - Math.log(z2), -Math.log(z2), -1 - Math.log(z2)], tol);
    const cols = await lc.logSoftmax(put([[1000, -1000], [999, 1000], [-1000, 999]]), { axis: 0 }).data();
    expectClose(cols, [-Math.log(z2), -2000 - Math.log(z2), -1 - Math.log(z2), -Math.log(z2), -2000 - Math.log(z2), -1 - Math.log(z2)], tol);
  });

  test('-inf masks, NaN rows, zero-size dims', async () => {
    const masked = lc.tensor([[-Infinity, 0, 0, -Infinity], [1, -Infinity, 1, 1]]);
    expect(Array.from(await lc.softmax(on(device, masked)).data())).toEqual([0, 0.5, 0.5, 0, 1 / 3, 0, 1 / 3, 1 / 3].map(Math.fround));
    const logMasked = Array.from(await lc.logSoftmax(on(device, masked)).data());
    expect(logMasked[0]).toBe(-Infinity);
    expect(logMasked[5]).toBe(-Infinity);
    // A row of NaN or all -inf has no distribution: NaN (as numpy, ONNX's reference and PyTorch).
    const bad = lc.tensor([[NaN, 1, 2], [-Infinity, -Infinity, -Infinity], [0, 1, 2]]);
    for (const name of NAMES) {
      const y = Array.from(await lc[name](on(device, bad), { axis: 1 }).data());
      expect(y.slice(0, 6).every(Number.isNaN)).toBe(true);
      expect(y.slice(6).some(Number.isNaN)).toBe(false);
      await check(name, bad, { axis: 1 }, device);
      for (const [shape, axis] of [[[0, 5], 1], [[3, 0], 1], [[3, 0], 0], [[2, 0, 4], -1]] as const) {
        const y0 = lc[name](put(new Float32Array(0), [...shape]), { axis });
        expect(y0.shape).toEqual(shape);
        expect((await y0.data()).length).toBe(0);
      }
    }
  });

  test('float64 and float16 (reference)', async () => {
    const row = [-1, 0, 1];
    const z = Math.exp(-1) + 1 + Math.exp(1);
    const y64 = lc.softmax(put([row], undefined, { dtype: 'float64' }));
    expect(y64.dtype).toBe('float64');
    expectClose(await y64.data(), row.map((v) => Math.exp(v) / z), { atol: 0, rtol: 1e-15 });
    const y16 = lc.logSoftmax(put([row], undefined, { dtype: 'float16' }));
    expect(y16.dtype).toBe('float16');
    expectClose(Array.from(await y16.data<Uint16Array>(), halfBitsToFloat32), row.map((v) => v - Math.log(z)), { atol: 0, rtol: 2 ** -11 });
  });

  test('errors: dtype, axis, rank, options, disposed', () => {
    const x = lc.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(thrown(() => lc.softmax(lc.tensor(new Int32Array([1, 2])), { device }))).toMatch(/^DTYPE_UNSUPPORTED: softmax: x dtype/);
    expect(thrown(() => lc.softmax(x, { axis: 2, device }))).toMatch(/^BAD_ATTRIBUTE: softmax: axis must be an integer in \[-2, 1\], got 2/);
    expect(thrown(() => lc.logSoftmax(x, { axis: -3, device }))).toMatch(/^BAD_ATTRIBUTE: logSoftmax: axis/);
    expect(thrown(() => lc.softmax(x, { axes: [1] } as SoftmaxAttrs))).toMatch(/^BAD_ATTRIBUTE: softmax: option "axes"/);
    expect(thrown(() => lc.softmax(lc.tensor(1), { device }))).toMatch(/^SHAPE_MISMATCH: softmax: x rank/);
    const gone = lc.tensor([1, 2]);
    gone.dispose();
    expect(thrown(() => lc.logSoftmax(gone, { device }))).toMatch(/^DISPOSED: logSoftmax/);
  });
});
