import * as lc from '../../src/index.js';
import { cpuKernels } from '../../src/backends/cpu/kernels/index.js';
import { halfBitsToFloat32 } from '../../src/dtype.js';
import { batchNorm as batchNormOp, type BatchNormAttrs } from '../../src/ops/batchNorm.js';
import { expectClose, referenceOutputs, type Tolerance } from '../helpers/compare.js';
import { testDevices } from '../helpers/devices.js';
import { on, reportFallbacks, stridedTensor, thrown } from '../helpers/ops.js';
import { randomArray, randomInt, rng } from '../helpers/random.js';

// Every case on every device against the float64 reference. With the addon loaded float32 runs the
// native kernel; LEPTON_NATIVE=off runs the reference, which the known answers check on their own.

const EPS32 = 2 ** -24;

/**
 * The native kernel (like ONNX Runtime's and PyTorch's CPU inference) folds the parameters into
 * y = x·a + b with a = scale/sqrt(var + eps) and b = bias - mean·a, rounded to float32, so an output
 * is exact to a few ulps of |x·a| + |b|, not of |y|. With x in [-3, 3], scale in [0.5, 2], var >= 0.1
 * and |mean|, |bias| <= 1: |a| <= 6.4 and |x·a| + |b| <= 27; 8 ulps of 27 bounds it.
 */
const TOL: Tolerance = { atol: 8 * EPS32 * 27, rtol: 4 * EPS32 };

/** x and the four parameters for channel count C, strided views when `strided`. */
function inputs(shape: number[], seed: number, strided: boolean): lc.Tensor[] {
  const C = shape[1]!;
  const make = (s: number[], k: number, lo: number, hi: number) =>
    strided ? stridedTensor(s, seed * 10 + k, lo, hi) : lc.tensor(randomArray(s.reduce((a, b) => a * b, 1), seed * 10 + k, lo, hi), s);
  return [make(shape, 0, -3, 3), make([C], 1, 0.5, 2), make([C], 2, -1, 1), make([C], 3, -1, 1), make([C], 4, 0.1, 2)];
}

reportFallbacks();

async function check(ins: lc.Tensor[], attrs: BatchNormAttrs, device: string): Promise<void> {
  const { outputs } = referenceOutputs(batchNormOp, ins, attrs);
  const [x, scale, bias, mean, variance] = ins.map((t) => on(device, t)) as [lc.Tensor, lc.Tensor, lc.Tensor, lc.Tensor, lc.Tensor];
  const y = lc.batchNorm(x, scale, bias, mean, variance, attrs);
  expect(y.shape).toEqual(ins[0]!.shape);
  expect(y.dtype).toBe(ins[0]!.dtype);
  expectClose(await y.data(), outputs[0]!, TOL, `batchNorm ${JSON.stringify(ins[0]!.shape)} ${JSON.stringify(attrs)}`);
}

test('float32 batchNorm takes the native kernel when the addon is loaded', () => {
  const ins = inputs([2, 3, 4], 1, true);
  const info = batchNormOp.infer(ins, {});
  expect(cpuKernels.batchNorm!.accepts(info, ins.map((t) => t.view()), {})).toBe(true);
  const f64 = ins.map((t) => lc.tensor(new Float64Array(t.size), [...t.shape]));
  expect(cpuKernels.batchNorm!.accepts(batchNormOp.infer(f64, {}), f64.map((t) => t.view()), {})).toBe(false);
});

describe.each(testDevices())('batchNorm on %s', (device) => {
  test('random shapes, ranks 2-5, contiguous and strided inputs', async () => {
    const r = rng(17);
    const dims = [1, 2, 3, 5, 7, 13];
    for (let c = 0; c < 40; c++) {
      const rank = randomInt(r, 2, 5);
      const shape = Array.from({ length: rank }, () => dims[randomInt(r, 0, dims.length - 1)]!);
      const epsilon = [undefined, 0, 1e-3][c % 3];
      await check(inputs(shape, c, c % 2 === 1), epsilon === undefined ? {} : { epsilon }, device);
    }
  });

  test('larger shapes (threaded native path) and zero-size dims', async () => {
    for (const [i, shape] of [[4, 64, 14, 14], [1, 3, 112, 112], [2, 1031], [3, 17, 1, 1, 300]].entries()) {
      await check(inputs(shape, 100 + i, false), {}, device);
      await check(inputs(shape, 200 + i, true), { epsilon: 1e-3 }, device);
    }
    for (const shape of [[0, 3, 4], [2, 3, 0], [2, 0, 5]]) {
      const ins = inputs(shape, 7, false);
      const y = lc.batchNorm(...(ins.map((t) => on(device, t)) as [lc.Tensor, lc.Tensor, lc.Tensor, lc.Tensor, lc.Tensor]));
      expect(y.shape).toEqual(shape);
      expect((await y.data()).length).toBe(0);
    }
  });

  test('known answer (ONNX example), epsilon, float64 and float16 (reference)', async () => {
    // ONNX BatchNormalization example: x [1, 2, 1, 3].
    const xv = [-1, 0, 1, 2, 3, 4];
    const s = [1.0, 1.5], b = [0, 1], m = [0, 3], v = [1, 1.5];
    const want = (eps: number) => xv.map((val, i) => {
      const c = Math.floor(i / 3);
      return ((val - m[c]!) / Math.sqrt(v[c]! + eps)) * s[c]! + b[c]!;
    });
    for (const dtype of ['float32', 'float64', 'float16'] as const) {
      for (const epsilon of [1e-5, 0.5]) {
        const t = (data: number[], shape: number[]) => on(device, lc.tensor(data, shape, { dtype }));
        const y = lc.batchNorm(t(xv, [1, 2, 1, 3]), t(s, [2]), t(b, [2]), t(m, [2]), t(v, [2]), { epsilon });
        expect(y.dtype).toBe(dtype);
        const got = Array.from(await y.data<Float32Array>(), (e) => (dtype === 'float16' ? halfBitsToFloat32(e) : e));
        const tol = dtype === 'float16' ? { atol: 2 ** -10, rtol: 2 ** -10 } : dtype === 'float32' ? { atol: 4 * EPS32 * 4, rtol: 4 * EPS32 } : { atol: 1e-15, rtol: 1e-15 };
        expectClose(got, want(epsilon), tol, `${dtype} epsilon ${epsilon}`);
      }
    }
  });

  test('errors: rank, parameter shapes and dtypes, epsilon, missing and disposed inputs', () => {
    const [x, s, b, m, v] = inputs([2, 3, 4], 1, false) as [lc.Tensor, lc.Tensor, lc.Tensor, lc.Tensor, lc.Tensor];
    expect(thrown(() => lc.batchNorm(lc.tensor([1, 2, 3]), s, b, m, v, { device }))).toMatch(/^SHAPE_MISMATCH: batchNorm: x rank must be at least 2/);
    expect(thrown(() => lc.batchNorm(x, lc.tensor([1, 2]), b, m, v, { device }))).toMatch(/^SHAPE_MISMATCH: batchNorm: scale shape must be \[3\]/);
    expect(thrown(() => lc.batchNorm(x, s, b, m, lc.tensor([[1, 2, 3]]), { device }))).toMatch(/^SHAPE_MISMATCH: batchNorm: variance shape/);
    expect(thrown(() => lc.batchNorm(x, s, lc.tensor([1, 2, 3], [3], { dtype: 'float64' }), m, v, { device }))).toMatch(/^DTYPE_UNSUPPORTED: batchNorm: bias dtype/);
    expect(thrown(() => lc.batchNorm(lc.tensor(new Int32Array(24), [2, 3, 4]), s, b, m, v, { device }))).toMatch(/^DTYPE_UNSUPPORTED: batchNorm: x dtype/);
    expect(thrown(() => lc.batchNorm(x, s, b, m, v, { epsilon: -1, device }))).toMatch(/^BAD_ATTRIBUTE: batchNorm: epsilon/);
    expect(thrown(() => lc.batchNorm(x, s, b, m, v, { epsilon: 'small' as unknown as number, device }))).toMatch(/^BAD_ATTRIBUTE: batchNorm: epsilon/);
    expect(thrown(() => lc.batchNorm(x, s, b, m, v, { momentum: 0.9 } as BatchNormAttrs))).toMatch(/^BAD_ATTRIBUTE: batchNorm: option "momentum"/);
    expect(thrown(() => lc.batchNorm(x, s, b, m, undefined as unknown as lc.Tensor, { device }))).toMatch(/^BAD_ARGUMENT: batchNorm: variance must be a Tensor/);
    const gone = lc.tensor([1, 2, 3]);
    gone.dispose();
    expect(thrown(() => lc.batchNorm(x, s, b, gone, v, { device }))).toMatch(/^DISPOSED: batchNorm/);
  });
});
