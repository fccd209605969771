import * as lc from '../../src/index.js';
import { cpuKernels } from '../../src/backends/cpu/kernels/index.js';
import { argmax as argmaxOp, argmin as argminOp, type ArgReduceAttrs } from '../../src/ops/argReduce.js';
import { expectClose, referenceOutputs } from '../helpers/compare.js';
import { testDevices } from '../helpers/devices.js';
import { on, putOn, reportFallbacks, stridedTensorOf, THREADS, thrown, withThreads } from '../helpers/ops.js';
import { randomInt, rng } from '../helpers/random.js';

// Indices are exact: every comparison uses tolerance 0. Values come from a small set of integers so
// ties are common. With the addon loaded float32 runs the native kernel; LEPTON_NATIVE=off runs the reference.

const OPS = { argmax: argmaxOp, argmin: argminOp } as const;
type Name = keyof typeof OPS;
const EXACT = { atol: 0, rtol: 0 };

/** Integers in [0, levels) as float32, so many elements tie; a fraction `nans` of them NaN. */
function tiedValues(n: number, seed: number, levels = 4, nans = 0): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() < nans ? NaN : Math.floor(r() * levels)));
}

/** A strided, offset float32 view (see stridedTensorOf) holding tiedValues. */
function tiedStridedTensor(shape: readonly number[], seed: number, levels = 4, nans = 0): lc.Tensor {
  return stridedTensorOf(shape, seed, (n) => tiedValues(n, seed, levels, nans));
}

reportFallbacks();

/** Indices as plain numbers. */
const ids = async (t: lc.Tensor) => Array.from(await t.data<BigInt64Array>(), Number);

async function check(name: Name, x: lc.Tensor, attrs: ArgReduceAttrs, device: string, threads?: number[]): Promise<void> {
  const { info, outputs } = referenceOutputs(OPS[name], [x], attrs);
  await withThreads(device, threads, async () => {
    const y = lc[name](on(device, x), attrs);
    expect(y.shape).toEqual(info.outputs[0]!.shape);
    expect(y.dtype).toBe('int64');
    expectClose(await y.data<BigInt64Array>(), outputs[0]!, EXACT, `${name} ${JSON.stringify(x.shape)} ${JSON.stringify(attrs)}`);
  });
}

test('float32 arg-reductions take the native kernel when the addon is loaded', () => {
  const x = tiedStridedTensor([3, 4], 1);
  for (const name of ['argmax', 'argmin'] as const) {
    expect(cpuKernels[name]!.accepts(OPS[name].infer([x], { axis: 1 }), [x.view()], {})).toBe(true);
    const i32 = lc.tensor(new Int32Array(4), [4]);
    expect(cpuKernels[name]!.accepts(OPS[name].infer([i32], {}), [i32.view()], {})).toBe(false);
  }
});

describe.each(testDevices())('argmax/argmin on %s', (device) => {
  const put = putOn(device);
  test.each(['argmax', 'argmin'] as const)('%s: random shapes and views, every axis, ties, keepdims, selectLastIndex', async (name) => {
    const r = rng(5);
    const dims = [1, 2, 3, 5, 7, 13];
    for (let c = 0; c < 30; c++) {
      const rank = randomInt(r, 1, 5);
      const shape = Array.from({ length: rank }, () => dims[randomInt(r, 0, dims.length - 1)]!);
      for (let axis = -rank; axis < rank; axis++) {
        const attrs = { axis, keepdims: r() < 0.5, selectLastIndex: r() < 0.5 };
        const x = c % 2 ? tiedStridedTensor(shape, 100 * c + axis) : lc.tensor(tiedValues(shape.reduce((a, b) => a * b, 1), c), shape);
        await check(name, x, attrs, device);
      }
    }
  });

  test.each(['argmax', 'argmin'] as const)('%s: shapes large enough for the threaded, split and column native paths', async (name) => {
    const cases: Array<[number[], number]> = [[[5000, 8], 0], [[8, 20000], 1], [[64, 1031], -1], [[3, 4096, 9], 1], [[40000], 0], [[2, 9000, 3], 1]];
    for (const [i, [shape, axis]] of cases.entries()) {
      for (const selectLastIndex of [false, true]) {
        await check(name, tiedStridedTensor(shape, 50 + i, 1000), { axis, selectLastIndex }, device, THREADS);
        await check(name, lc.tensor(tiedValues(shape.reduce((a, b) => a * b, 1), 60 + i, 3), shape), { axis, selectLastIndex, keepdims: false }, device, THREADS);
        await check(name, tiedStridedTensor(shape, 70 + i, 50, 1e-4), { axis, selectLastIndex }, device, THREADS);
        await check(name, lc.tensor(tiedValues(shape.reduce((a, b) => a * b, 1), 80 + i, 50, 0.2), shape), { axis, selectLastIndex }, device, THREADS);
      }
    }
  });

  // Lengths either side of subgroup sizes (4..128 lanes) and the 256-invocation workgroup, up to 2^20+7; the axis
  // between kept ones, read through a view; ties, NaN in the first and last positions.
  test.each(['argmax', 'argmin'] as const)('%s: lengths 1 to 2^20+7 around subgroup and workgroup sizes, ties, NaN', async (name) => {
    for (const [i, len] of [1, 3, 31, 33, 255, 257, 1000, 4097, 2 ** 20 + 7].entries()) {
      for (const selectLastIndex of [false, true]) {
        await check(name, lc.tensor(tiedValues(len, 90 + i, 3), [len]), { selectLastIndex }, device);
        await check(name, lc.tensor(tiedValues(len, 95 + i, 1000, 0.01), [len]), { selectLastIndex }, device);
        if (len <= 4097) await check(name, tiedStridedTensor([3, len, 2], 100 + i, 5, 0.002), { axis: 1, selectLastIndex }, device);
      }
    }
    for (const at of [0, 32, 1031]) {
      const data = tiedValues(1032, 110 + at, 4);
      data[at] = NaN;
      data[(at + 516) % 1032] = NaN;
      for (const selectLastIndex of [false, true]) await check(name, lc.tensor(data, [1032]), { selectLastIndex }, device);
    }
    // All equal: the first (last) index of a long row.
    for (const selectLastIndex of [false, true]) await check(name, lc.tensor(new Float32Array(4099).fill(-Infinity), [4099]), { selectLastIndex }, device);
  });

  test('known answers (ONNX examples), defaults and ties', async () => {
    const data = put([[2, 1], [3, 10]]);
    expect(lc.argmax(data).shape).toEqual([1, 2]); // axis 0, keepdims by default
    expect(await ids(lc.argmax(data))).toEqual([1, 1]);
    expect(await ids(lc.argmax(data, { axis: 1, keepdims: false }))).toEqual([0, 1]);
    expect(await ids(lc.argmin(data, { axis: -1 }))).toEqual([1, 0]);
    const ties = put([[2, 2], [3, 10]]);
    expect(await ids(lc.argmax(ties, { axis: 1 }))).toEqual([0, 1]);
    expect(await ids(lc.argmax(ties, { axis: 1, selectLastIndex: true }))).toEqual([1, 1]);
    expect(await ids(lc.argmin(put([5, 1, 1, 5])))).toEqual([1]);
    expect(await ids(lc.argmin(put([5, 1, 1, 5]), { selectLastIndex: true }))).toEqual([2]);
  });

  test('NaN counts as the extreme: first NaN, or last with selectLastIndex', async () => {
    const x = put([1, NaN, 7, NaN, -3]);
    expect(await ids(lc.argmax(x))).toEqual([1]);
    expect(await ids(lc.argmin(x))).toEqual([1]);
    expect(await ids(lc.argmax(x, { selectLastIndex: true }))).toEqual([3]);
    expect(await ids(lc.argmin(x, { selectLastIndex: true }))).toEqual([3]);
    // Down columns too (the native column path), NaN first, last and in the middle.
    const cols = lc.tensor([[NaN, 1, 2, 3, 4, 5, 6, 7], [0, NaN, 2, 3, 4, 5, 6, NaN], [0, 1, 2, NaN, 4, 5, 6, NaN]]);
    expect(await ids(lc.argmax(on(device, cols), { axis: 0, keepdims: false }))).toEqual([0, 1, 0, 2, 0, 0, 0, 1]);
    expect(await ids(lc.argmin(on(device, cols), { axis: 0, selectLastIndex: true, keepdims: false }))).toEqual([0, 1, 2, 2, 2, 2, 2, 2]);
    for (const name of ['argmax', 'argmin'] as const) {
      for (const selectLastIndex of [false, true]) await check(name, cols, { axis: 0, selectLastIndex }, device);
    }
  });

  test('other dtypes (reference) compare exactly; empty non-axis dims give empty outputs', async () => {
    expect(await ids(lc.argmax(put(new BigInt64Array([2n ** 60n, 2n ** 60n + 1n, 2n ** 60n]))))).toEqual([1]);
    expect(await ids(lc.argmin(put(new Int8Array([3, -128, -128])), { selectLastIndex: true }))).toEqual([2]);
    expect(await ids(lc.argmax(put([1, 3, 2], [3], { dtype: 'float16' })))).toEqual([1]);
    expect(await ids(lc.argmax(put([1, 3, 3], [3], { dtype: 'float64' }), { selectLastIndex: true }))).toEqual([2]);
    const empty = lc.argmax(put(new Float32Array(0), [0, 3]), { axis: 1 });
    expect(empty.shape).toEqual([0, 1]);
    expect((await empty.data()).length).toBe(0);
  });

  test('errors: bad axis, empty axis, dtype, options, disposed', () => {
    const x = lc.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(thrown(() => lc.argmax(x, { axis: 2, device }))).toMatch(/^BAD_ATTRIBUTE: argmax: axis must be an integer in \[-2, 1\], got 2/);
    expect(thrown(() => lc.argmin(x, { axis: -3, device }))).toMatch(/^BAD_ATTRIBUTE: argmin: axis/);
    expect(thrown(() => lc.argmax(x, { axis: [1] as unknown as number, device }))).toMatch(/^BAD_ATTRIBUTE/);
    expect(thrown(() => lc.argmax(x, { selectLastIndex: 'no' as unknown as boolean, device }))).toMatch(/^BAD_ATTRIBUTE: argmax: selectLastIndex/);
    expect(thrown(() => lc.argmax(x, { axes: [0] } as ArgReduceAttrs))).toMatch(/^BAD_ATTRIBUTE: argmax: option "axes"/);
    expect(thrown(() => lc.argmax(lc.tensor(new Float32Array(0), [3, 0]), { axis: 1, device }))).toMatch(/^SHAPE_MISMATCH: argmax: x dim 1/);
    expect(thrown(() => lc.argmax(lc.tensor(3), { device }))).toMatch(/^SHAPE_MISMATCH: argmax: x rank/);
    expect(thrown(() => lc.argmin(lc.tensor([true, false]), { device }))).toMatch(/^DTYPE_UNSUPPORTED: argmin: x dtype/);
    const gone = lc.tensor([1, 2]);
    gone.dispose();
    expect(thrown(() => lc.argmax(gone, { device }))).toMatch(/^DISPOSED: argmax/);
  });
});
