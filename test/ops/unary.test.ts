import * as lc from '../../src/index.js';
import { cpuKernels } from '../../src/backends/cpu/kernels/index.js';
import { clip as clipOp, erf, unaryOps, type UnaryName } from '../../src/ops/unary.js';
import { expectClose, referenceOutputs, type Tolerance } from '../helpers/compare.js';
import { testDevices } from '../helpers/devices.js';
import { on, putOn, thrown } from '../helpers/ops.js';
import { randomArray } from '../helpers/random.js';

// Tolerances, in float32 ulps (2^-23 relative) against the float64 reference: relu/abs/neg/clip
// select or negate (exact); sqrt and reciprocal are correctly rounded (1/2 ulp); the native
// exp/log are ~1 ulp, tanh ~2, erf ~2.5 (kernels/cpu/simd_math_avx2.h); sigmoid and the gelus
// compose two or three of those: 8 ulps. gelu 'tanh' is x * sigmoid(2u) with u rounded in float32:
// exp amplifies u's few-ulp error by |2u|, up to ~87 before the result underflows: 256 ulps.
// atol covers results that round to or near 0.
const ULP = 2 ** -23;
const TOL: Record<UnaryName, Tolerance> = {
  relu: { atol: 0, rtol: 0 }, abs: { atol: 0, rtol: 0 }, neg: { atol: 0, rtol: 0 },
  sqrt: { atol: 0, rtol: ULP }, reciprocal: { atol: 0, rtol: ULP },
  exp: { atol: 1e-37, rtol: 4 * ULP }, log: { atol: 1e-7, rtol: 4 * ULP }, tanh: { atol: 1e-37, rtol: 4 * ULP },
  erf: { atol: 1e-37, rtol: 4 * ULP }, sigmoid: { atol: 1e-37, rtol: 8 * ULP }, gelu: { atol: 1e-37, rtol: 8 * ULP },
};
// Other devices (WebGPU): WGSL's accuracy table: exp has 3 + 2|x| ulps (up to ~163 for the
// |x| <= 80 tested), log 3 ulps or 2^-21 absolute near 1, and sigmoid/tanh/erf/gelu are built on
// exp: rtol 2.5e-5 with atol 1e-6 (deep tails may flush to 0). Division 2.5 ulps, inverseSqrt 2.
const GPU_TOL: Partial<Record<UnaryName, Tolerance>> = { sqrt: { atol: 0, rtol: 4 * ULP }, reciprocal: { atol: 0, rtol: 4 * ULP } };
const GPU_APPROX: Tolerance = { atol: 1e-6, rtol: 2.5e-5 };
function tolerance(name: UnaryName, device: string, approximateTanh = false): Tolerance {
  if (device === 'cpu') return approximateTanh ? { atol: 1e-37, rtol: 256 * ULP } : TOL[name];
  return TOL[name].rtol === 0 ? TOL[name] : GPU_TOL[name] ?? GPU_APPROX;
}
const NAMES = Object.keys(unaryOps) as UnaryName[];
/** Input ranges: the domain where the op is finite, and past its saturation points. */
const RANGE: Record<UnaryName, [number, number]> = {
  relu: [-5, 5], abs: [-5, 5], neg: [-5, 5], sqrt: [0, 100], reciprocal: [0.01, 100], exp: [-80, 80], log: [1e-6, 1e6],
  tanh: [-12, 12], erf: [-5, 5], sigmoid: [-40, 40], gelu: [-12, 12],
};

const SHAPES = [[], [1], [0], [7], [3, 0, 2], [13, 17], [2, 3, 5, 7], [1, 1031], [70001]];

describe.each(testDevices())('unary ops on %s', (device) => {
  const put = putOn(device);

  async function check(name: UnaryName, x: lc.Tensor, attrs: object = {}, tol = tolerance(name, device)): Promise<void> {
    const op = unaryOps[name];
    const { info, outputs } = referenceOutputs(op, [x], attrs);
    const y = name === 'gelu' ? lc.gelu(on(device, x), attrs) : lc[name](on(device, x));
    expect(y.shape).toEqual(info.outputs[0]!.shape);
    expectClose(await y.data(), outputs[0] as Float64Array, tol, `${name} ${JSON.stringify(x.shape)} ${JSON.stringify(attrs)}`);
  }

  test.each(NAMES)('%s: shapes incl. scalar, empty, odd sizes and a transposed view', async (name) => {
    const [lo, hi] = RANGE[name];
    // log over a wide range: spread the exponent, not the value.
    const gen = (n: number, seed: number) => (name === 'log' ? randomArray(n, seed, -14, 14).map(Math.exp) : randomArray(n, seed, lo, hi));
    for (const [i, shape] of SHAPES.entries()) {
      await check(name, lc.tensor(gen(shape.reduce((a, b) => a * b, 1), i + 1), shape));
      if (name === 'gelu') {
        await check(name, lc.tensor(gen(shape.reduce((a, b) => a * b, 1), i + 1), shape), { approximate: 'tanh' }, tolerance(name, device, true));
      }
    }
    const t = lc.transpose(lc.tensor(gen(13 * 29, 99), [13, 29]));
    await check(name, t);
  });

  test('known values and specials', async () => {
    const v = async (t: lc.Tensor) => Array.from(await t.data());
    expect(await v(lc.relu(put([-1, 0, 2, NaN])))).toEqual([0, 0, 2, NaN]);
    expect(await v(lc.sqrt(put([4, -1, Infinity])))).toEqual([2, NaN, Infinity]);
    expect(await v(lc.log(put([1, 0, -1])))).toEqual([0, -Infinity, NaN]);
    expect(await v(lc.reciprocal(put([4, 0, -0.5])))).toEqual([0.25, Infinity, -2]);
    expect(await v(lc.exp(put([0, -Infinity, 100])))).toEqual([1, 0, Infinity]);
    expect(await v(lc.tanh(put([0, Infinity, -Infinity])))).toEqual([0, 1, -1]);
    expect(await v(lc.sigmoid(put([0, Infinity, -Infinity])))).toEqual([0.5, 1, 0]);
    expect(await v(lc.abs(put([-3, 3])))).toEqual([3, 3]);
    expectClose(await lc.gelu(put([1, -1, 0])).data(), [0.8413447460685429, -0.15865525393145707, 0], tolerance('gelu', device));
    expectClose(await lc.gelu(put([1]), { approximate: 'tanh' }).data(), [0.8411919906082768], tolerance('gelu', device));
    // The reference erf itself, against published values (Abramowitz & Stegun table 7.1).
    expectClose([erf(0.5), erf(1), erf(2), erf(-3), erf(1e-10)], [0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.9999779095030014, 1.1283791670955126e-10], { atol: 0, rtol: 1e-14 });
  });

  test('integers: relu, abs and neg (reference), wrapping like C', async () => {
    const ints = async (t: lc.Tensor) => Array.from((await t.data()) as unknown as ArrayLike<number | bigint>);
    expect(await ints(lc.relu(put([-5, 0, 7], [3], { dtype: 'int32' })))).toEqual([0, 0, 7]);
    expect(await ints(lc.abs(put([-128, -3, 5], [3], { dtype: 'int8' })))).toEqual([-128, 3, 5]);
    expect(await ints(lc.neg(put([-128, 1], [2], { dtype: 'int8' })))).toEqual([-128, -1]);
    expect(await ints(lc.abs(put([250], [1], { dtype: 'uint8' })))).toEqual([250]);
    const big = 2n ** 60n + 1n;
    expect(await ints(lc.neg(put(new BigInt64Array([big, -(2n ** 63n)]))))).toEqual([-big, -(2n ** 63n)]);
    expect(await ints(lc.relu(put(new BigInt64Array([-big, big]))))).toEqual([0n, big]);
  });

  test('float64 and float16 (reference)', async () => {
    const x = lc.tensor(randomArray(50, 3, -3, 3), [50], { dtype: 'float64' });
    for (const name of NAMES.filter((n) => !['log', 'sqrt'].includes(n))) {
      await check(name, x, {}, { atol: 0, rtol: 0 });
    }
    const h = lc.tensor(randomArray(20, 4, -3, 3), [20], { dtype: 'float16' });
    const { outputs } = referenceOutputs(unaryOps.tanh, [h], {});
    expect(Array.from(await lc.tanh(on(device, h)).data<Uint16Array>())).toEqual(Array.from(outputs[0] as Uint16Array));
  });

  test('clip: both bounds, one bound, none, min > max, NaN, integers', async () => {
    const x = lc.tensor(randomArray(1031, 5, -3, 3), [1031]);
    for (const attrs of [{ min: -1, max: 1 }, { min: 0.1 }, { max: -0.3 }, {}, { min: 2, max: 1 }]) {
      const { outputs } = referenceOutputs(clipOp, [x], attrs);
      expectClose(await lc.clip(on(device, x), attrs).data(), outputs[0] as Float64Array, { atol: 0, rtol: 0 }, JSON.stringify(attrs));
    }
    const t = lc.transpose(lc.tensor(randomArray(35, 6, -3, 3), [5, 7]));
    const { outputs } = referenceOutputs(clipOp, [t], { min: -1, max: 2 });
    expectClose(await lc.clip(on(device, t), { min: -1, max: 2 }).data(), outputs[0] as Float64Array, { atol: 0, rtol: 0 });
    expect(Array.from(await lc.clip(put([NaN, -5, 5, 0.5]), { min: 0, max: 1 }).data())).toEqual([NaN, 0, 1, 0.5]);
    expect(Array.from(await lc.clip(put([-5, 5, 0, 1], [4], { dtype: 'int32' }), { min: -2, max: 3 }).data<Int32Array>())).toEqual([-2, 3, 0, 1]);
    const big = 2n ** 60n;
    expect(Array.from(await lc.clip(put(new BigInt64Array([big, -big, 5n])), { min: 0, max: 2 ** 52 }).data<BigInt64Array>())).toEqual([2n ** 52n, 0n, 5n]);
  });

  test('errors: dtypes, options', () => {
    const i = put([1, 2], [2], { dtype: 'int32' });
    expect(thrown(() => lc.sigmoid(i))).toMatch(/^DTYPE_UNSUPPORTED: sigmoid: x dtype must be float32, float64 or float16, got "int32"/);
    expect(thrown(() => lc.neg(put([1], [1], { dtype: 'uint8' })))).toMatch(/^DTYPE_UNSUPPORTED: neg: x dtype/);
    expect(thrown(() => lc.relu(put([true])))).toMatch(/^DTYPE_UNSUPPORTED: relu/);
    expect(thrown(() => lc.gelu(put([1]), { approximate: 'fast' as 'tanh' }))).toMatch(/^BAD_ATTRIBUTE: gelu: approximate must be one of "none"\|"tanh", got "fast"/);
    expect(thrown(() => lc.exp(put([1]), { axis: 0 } as object))).toMatch(/^BAD_ATTRIBUTE: exp: option "axis"/);
    expect(thrown(() => lc.clip(put([1]), { min: 'a' as unknown as number }))).toMatch(/^BAD_ATTRIBUTE: clip: min must be a number/);
    expect(thrown(() => lc.clip(i, { min: 0.5 }))).toMatch(/^BAD_ATTRIBUTE: clip: min must be a safe integer for int32 input/);
  });
});

test('float32 unary ops and clip take the native kernel', () => {
  const x = lc.tensor(new Float32Array(4), [2, 2]);
  for (const name of [...NAMES, 'clip'] as const) {
    const op = name === 'clip' ? clipOp : unaryOps[name];
    expect(cpuKernels[name]!.accepts(op.infer([x], {}), [x.view()], {})).toBe(true);
  }
  const h = lc.tensor([1], [1], { dtype: 'float64' });
  expect(cpuKernels.exp!.accepts(unaryOps.exp.infer([h], {}), [h.view()], {})).toBe(false);
});
