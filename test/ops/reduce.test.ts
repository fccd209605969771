import * as lc from '../../src/index.js';
import { cpuKernels } from '../../src/backends/cpu/kernels/index.js';
import { halfBitsToFloat32, type DType } from '../../src/dtype.js';
import { native } from '../../src/native.js';
import { REDUCE_KINDS, reduceOps, type ReduceAttrs, type ReduceKind } from '../../src/ops/reduce.js';
import { expectClose, referenceOutputs, type Tolerance } from '../helpers/compare.js';
import { testDevices } from '../helpers/devices.js';
import { on, putOn, reportFallbacks, stridedTensor, THREADS, thrown, withThreads } from '../helpers/ops.js';
import { randomArray, randomInt, rng } from '../helpers/random.js';

// Runs on every device against the float64 reference. With the addon loaded the CPU takes the native
// kernel for float32 (asserted below); run again with LEPTON_NATIVE=off to exercise the reference path,
// which the known-answer and float64 checks test on their own.

const EPS32 = 2 ** -24;

/**
 * The native kernel sums in float32 blocks (<= 256 sequential adds per lane, 128 rows per column
 * block) flushed into float64, so its error is a few hundred ulps of sum|x| at worst and ~sqrt of
 * that for random signs; inputs here have |x| <= 1, so sum|x| <= count.
 * 64 ulps of sum|x| leaves margin over the random-walk growth and is still far below any real bug.
 * l2 = sqrt(S): an error d in S moves it by at most sqrt(d). max/min are exact. prod allows the
 * worst case of a float32 running product (a GPU kernel); the native CPU one is float64, rounded once.
 */
function tolerance(kind: ReduceKind, count: number): Tolerance {
  const sumErr = 64 * EPS32 * count;
  switch (kind) {
    case 'max': case 'min': return { atol: 0, rtol: 0 };
    case 'prod': return { atol: 1e-37, rtol: (count + 4) * EPS32 }; // a float32 running product: <= 1 ulp per factor
    case 'mean': return { atol: sumErr / Math.max(count, 1), rtol: 4 * EPS32 };
    case 'l2': return { atol: Math.sqrt(sumErr), rtol: 4 * EPS32 };
    case 'logSum': return { atol: 64 * EPS32 * 10, rtol: 4 * EPS32 }; // inputs in [0.1, 1]: sum|x| <= 10 * sum
    case 'logSumExp': return { atol: 64 * EPS32 * 4, rtol: 4 * EPS32 }; // terms exp(x - max) in (0, 1], one of them 1
    default: return { atol: sumErr, rtol: 4 * EPS32 };
  }
}

/**
 * Input range per kind: prod near 1 (E[log x] ~ -d^2/6, so even 40000 factors stay far inside the
 * float32 range), logSum positive, the rest in [-1, 1].
 */
function rangeFor(kind: ReduceKind): [number, number] {
  return kind === 'prod' ? [0.95, 1.05] : kind === 'logSum' ? [0.1, 1] : [-1, 1];
}

/** Every subset of [0, rank), each axis written negative when `negative` picks it. */
function axesSubsets(rank: number, r: () => number): number[][] {
  const out: number[][] = [];
  for (let m = 0; m < 1 << rank; m++) {
    out.push([...Array(rank).keys()].filter((d) => m & (1 << d)).map((d) => (r() < 0.3 ? d - rank : d)));
  }
  return out;
}

reportFallbacks();

async function check(kind: ReduceKind, x: lc.Tensor, attrs: ReduceAttrs, device: string, threads?: number[]): Promise<void> {
  const { info, outputs } = referenceOutputs(reduceOps[kind], [x], attrs);
  const tol = x.dtype === 'float32' || x.dtype === 'float16' ? tolerance(kind, info.count) : { atol: 0, rtol: 0 };
  await withThreads(device, threads, async () => {
    const y = lc[kind](on(device, x), attrs);
    expect(y.shape).toEqual(info.outputs[0]!.shape);
    expect(y.dtype).toBe(x.dtype);
    expectClose(await y.data(), outputs[0]!, tol, `${kind} ${JSON.stringify(x.shape)} ${JSON.stringify(attrs)}`);
  });
}

test('float32 reductions take the native kernel when the addon is loaded', () => {
  const x = stridedTensor([3, 4], 1);
  for (const kind of REDUCE_KINDS) {
    const info = reduceOps[kind].infer([x], { axes: [0] });
    expect(cpuKernels[kind]!.accepts(info, [x.view()], {})).toBe(true);
    const other = lc.tensor([1, 2], [2], { dtype: 'float64' });
    expect(cpuKernels[kind]!.accepts(reduceOps[kind].infer([other], {}), [other.view()], {})).toBe(false);
  }
  console.log(`reduce tests run the ${native ? 'native' : 'reference'} CPU path`);
});

describe.each(testDevices())('reduce on %s', (device) => {
  const put = putOn(device);
  test.each(REDUCE_KINDS)('%s: every axes subset, keepdims both ways, ranks 1-3', async (kind) => {
    const r = rng(11);
    const [lo, hi] = rangeFor(kind);
    for (const shape of [[7], [1], [3, 5], [1, 13], [2, 3, 4], [5, 1, 3], [2, 17, 3]]) {
      for (const axes of axesSubsets(shape.length, r)) {
        for (const keepdims of [true, false]) {
          const x = lc.tensor(randomArray(shape.reduce((a, b) => a * b, 1), randomInt(r, 1, 1e6), lo, hi), shape);
          await check(kind, x, { axes, keepdims }, device);
        }
      }
    }
  });

  test.each(REDUCE_KINDS)('%s: random shapes, ranks 1-5, strided views', async (kind) => {
    const r = rng(23);
    const [lo, hi] = rangeFor(kind);
    const dims = [1, 2, 3, 5, 7, 11, 31, 64];
    for (let c = 0; c < 24; c++) {
      const rank = randomInt(r, 1, 5);
      const shape = Array.from({ length: rank }, () => dims[randomInt(r, 0, rank > 3 ? 4 : dims.length - 1)]!);
      const axes = [...shape.keys()].filter(() => r() < 0.5).map((d) => (r() < 0.5 ? d - rank : d));
      const keepdims = r() < 0.5;
      await check(kind, stridedTensor(shape, 1000 + c, lo, hi), { axes, keepdims }, device);
      // default axes: everything
      if (c % 6 === 0) await check(kind, stridedTensor(shape, 2000 + c, lo, hi), { keepdims }, device);
    }
  });

  test.each(REDUCE_KINDS)('%s: shapes large enough for the threaded and split native paths', async (kind) => {
    const [lo, hi] = rangeFor(kind);
    const cases: Array<[number[], number[]]> = [
      [[5000, 8], [0]], [[8, 5001], [1]], [[64, 1031], [-1]], [[3, 4096, 5], [0, 2]], [[40000], [0]], [[2, 9000, 3], [1]],
    ];
    for (const [i, [shape, axes]] of cases.entries()) {
      await check(kind, stridedTensor(shape, 300 + i, lo, hi), { axes }, device, THREADS);
      const x = lc.tensor(randomArray(shape.reduce((a, b) => a * b, 1), 400 + i, lo, hi), shape);
      await check(kind, x, { axes, keepdims: false }, device, THREADS);
      // A few NaNs: they must reach exactly the outputs whose inputs hold them, on every SIMD/tail path.
      const data = randomArray(shape.reduce((a, b) => a * b, 1), 500 + i, lo, hi);
      for (let k = 0; k < 5; k++) data[(k * 7919 + i * 104729) % data.length] = NaN;
      await check(kind, lc.tensor(data, shape), { axes }, device, THREADS);
    }
  });

  // Lengths either side of subgroup sizes (4..128 lanes, not known in advance), the 256-invocation workgroup and
  // its 4096-element chunk, up to multi-pass rows; reduced axes split by kept ones; non-contiguous views; NaN.
  test.each(REDUCE_KINDS)('%s: lengths 1 to 2^20+7 around subgroup and workgroup sizes, mixed axes, views', async (kind) => {
    const [lo, hi] = rangeFor(kind);
    for (const [i, len] of [1, 3, 31, 33, 255, 257, 1000, 4097, 2 ** 20 + 7].entries()) {
      await check(kind, lc.tensor(randomArray(len, 600 + i, lo, hi), [len]), {}, device);
      if (len <= 4097) await check(kind, stridedTensor([3, len], 610 + i, lo, hi), { axes: [1], keepdims: false }, device);
    }
    await check(kind, stridedTensor([5, 33, 2, 31], 620, lo, hi), { axes: [1, 3] }, device);
    await check(kind, stridedTensor([31, 3, 33], 621, lo, hi), { axes: [0, 2], keepdims: false }, device);
    await check(kind, stridedTensor([2, 3, 1000], 622, lo, hi), { axes: [0, 2] }, device);
    const data = randomArray(3 * 70000, 623, lo, hi);
    data[70000 + 69999] = NaN;
    await check(kind, lc.tensor(data, [3, 70000]), { axes: [1] }, device);
  });

  // Squaring in float32 overflows (or underflows) although the norm is representable: kernels must scale.
  test('l2 stays finite when the squares overflow float32', async () => {
    const y = await lc.l2(put(new Float32Array(16).fill(1e20))).data();
    expectClose(y, [4e20], { atol: 0, rtol: 4 * EPS32 });
    const tiny = await lc.l2(put(new Float32Array(16).fill(1e-25))).data();
    expectClose(tiny, [4e-25], { atol: 0, rtol: 4 * EPS32 });
  });

  test.each(REDUCE_KINDS)('%s: zero-size dims and empty reductions', async (kind) => {
    for (const [shape, axes] of [[[0], [0]], [[3, 0], [1]], [[3, 0], [0]], [[0, 4, 2], [0, 2]], [[2, 0, 3], []], [[4, 0], undefined]] as const) {
      for (const keepdims of [true, false]) {
        await check(kind, lc.tensor(new Float32Array(0), shape), { axes: axes && [...axes], keepdims }, device);
      }
    }
    // The identities, spelled out (ONNX): sum 0, prod 1, max -inf, min +inf, mean NaN, logSum(Exp) -inf.
    const identity: Record<ReduceKind, number> = {
      sum: 0, mean: NaN, max: -Infinity, min: Infinity, prod: 1, sumSquare: 0, l1: 0, l2: 0, logSumExp: -Infinity, logSum: -Infinity,
    };
    const y = lc[kind](put(new Float32Array(0), [2, 0]), { axes: [1] });
    expect(y.shape).toEqual([2, 1]);
    expect(Array.from(await y.data())).toEqual([identity[kind], identity[kind]]);
  });

  test.each(REDUCE_KINDS)('%s: noopWithEmptyAxes, scalars and size-1 dims', async (kind) => {
    const [lo, hi] = rangeFor(kind);
    const x = stridedTensor([3, 4], 7, lo, hi);
    const y = lc[kind](on(device, x), { axes: [], noopWithEmptyAxes: true });
    expect(y.shape).toEqual([3, 4]);
    expect(Array.from(await y.data())).toEqual(Array.from(await x.data()));
    await check(kind, x, { axes: [], noopWithEmptyAxes: false }, device); // [] without the flag: all axes
    await check(kind, lc.tensor(0.5), {}, device);
    await check(kind, lc.tensor(0.5), { keepdims: false }, device);
    await check(kind, lc.tensor(randomArray(6, 3, lo, hi), [1, 6, 1]), { axes: [0, 2] }, device);
  });

  test('known answers (ONNX examples)', async () => {
    const data = [[[5, 1], [20, 2]], [[30, 1], [40, 2]], [[55, 1], [60, 2]]];
    const run = async (kind: ReduceKind, attrs: ReduceAttrs) => Array.from(await lc[kind](put(data), attrs).data());
    expect(await run('sum', { axes: [1] })).toEqual([25, 3, 70, 3, 115, 3]);
    expect(await run('mean', { axes: [1], keepdims: false })).toEqual([12.5, 1.5, 35, 1.5, 57.5, 1.5]);
    expect(await run('max', { axes: [-1] })).toEqual([5, 20, 30, 40, 55, 60]);
    expect(await run('min', {})).toEqual([1]);
    expect(await run('prod', { axes: [2] })).toEqual([5, 40, 30, 80, 55, 120]);
    expect(await run('sumSquare', { axes: [0, 2] })).toEqual([25 + 1 + 900 + 1 + 3025 + 1, 400 + 4 + 1600 + 4 + 3600 + 4]);
    expect(await run('l1', { axes: [2], keepdims: false })).toEqual([6, 22, 31, 42, 56, 62]);
    expectClose(await run('l2', { axes: [2] }), [Math.sqrt(26), Math.sqrt(404), Math.sqrt(901), Math.sqrt(1604), Math.sqrt(3026), Math.sqrt(3604)], { atol: 0, rtol: 2 * EPS32 });
    expectClose(await run('logSum', { axes: [1, 2] }), [Math.log(28), Math.log(73), Math.log(118)], { atol: 0, rtol: 2 * EPS32 });
    // logSumExp of large values must not overflow: 1000 + log(e^0 + e^-1)
    const lse = await lc.logSumExp(put([1000, 999, -1000, -1001]), { axes: [0] }).data();
    expectClose(lse, [1000 + Math.log(1 + Math.exp(-1))], { atol: 0, rtol: 2 * EPS32 });
    const lseRows = await lc.logSumExp(put([[1000, 999], [-Infinity, -Infinity], [Infinity, 0]]), { axes: [1] }).data();
    expectClose(lseRows, [1000 + Math.log(1 + Math.exp(-1)), -Infinity, Infinity], { atol: 0, rtol: 2 * EPS32 });
  });

  test('NaN propagates through every reduction', async () => {
    const x = lc.tensor([[1, NaN, 3], [4, 5, 6]]);
    for (const kind of REDUCE_KINDS) {
      const y = Array.from(await lc[kind](on(device, x), { axes: [1] }).data());
      expect(Number.isNaN(y[0])).toBe(true);
      expect(Number.isNaN(y[1])).toBe(false);
      await check(kind, x, { axes: [0] }, device);
    }
  });

  test('a sum over 2^24+ float32 elements stays within 1e-6 of float64', async () => {
    const n = 2 ** 24 + 5;
    const values = randomArray(n, 99, 0, 1);
    let exact = 0;
    for (let i = 0; i < n; i++) exact += values[i]!;
    const total = (await lc.sum(put(values)).data())[0]!;
    expect(Math.abs(total - exact) / exact).toBeLessThan(1e-6);
    const mean = (await lc.mean(put(values)).data())[0]!;
    expect(Math.abs(mean - exact / n) / (exact / n)).toBeLessThan(1e-6);
    // Down a column: 2^22+1 rows of 4 (the column-accumulation path).
    const cols = put(values.subarray(0, (2 ** 22 + 1) * 4), [2 ** 22 + 1, 4]);
    const colSums = await lc.sum(cols, { axes: [0], keepdims: false }).data();
    for (let j = 0; j < 4; j++) {
      let e = 0;
      for (let i = j; i < (2 ** 22 + 1) * 4; i += 4) e += values[i]!;
      expect(Math.abs(colSums[j]! - e) / e).toBeLessThan(1e-6);
    }
  });

  test('integer and bool dtypes (reference): exact, dtype kept', async () => {
    const big = put(new BigInt64Array([2n ** 60n + 1n, 2n ** 60n, -5n, 7n]), [2, 2]);
    expect(Array.from(await lc.max(big, { axes: [1] }).data<BigInt64Array>())).toEqual([2n ** 60n + 1n, 7n]);
    expect(Array.from(await lc.sum(big, { axes: [1] }).data<BigInt64Array>())).toEqual([2n ** 61n + 1n, 2n]);
    const i32 = put(new Int32Array([2 ** 30, 2 ** 30, 3, -7]), [2, 2]);
    expect(lc.sum(i32, {}).dtype).toBe('int32');
    expect(Array.from(await lc.sum(i32, { axes: [1] }).data())).toEqual([-(2 ** 31), -4]); // wraps like C
    expect(Array.from(await lc.prod(i32, { axes: [0] }).data())).toEqual([3 * 2 ** 30 | 0, -7 * 2 ** 30 | 0]);
    expect(Array.from(await lc.mean(i32, { axes: [1] }).data())).toEqual([2 ** 30, -2]); // truncates toward 0
    const u8 = put(new Uint8Array([200, 100, 0, 255]), [4]);
    expect(Array.from(await lc.sum(u8, {}).data())).toEqual([(555) % 256]);
    expect(Array.from(await lc.min(u8, {}).data())).toEqual([0]);
    const flags = put([true, false, false, false], [2, 2]);
    expect(Array.from(await lc.max(flags, { axes: [1] }).data())).toEqual([1, 0]);
    expect(Array.from(await lc.min(flags, { axes: [0] }).data())).toEqual([0, 0]);
    expect(lc.max(flags, {}).dtype).toBe('bool');
    const emptyInt = put(new Int8Array(0), [0]);
    expect(Array.from(await lc.max(emptyInt, {}).data())).toEqual([-128]);
    // [[1,2,3],[4,5,6]] over axis 1, in float64; integer dtypes truncate, float16 rounds to 11 bits.
    const rows = [[1, 2, 3], [4, 5, 6]];
    const lse = (r: number[]) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
    const expected: Record<ReduceKind, number[]> = {
      sum: [6, 15], mean: [2, 5], max: [3, 6], min: [1, 4], prod: [6, 120], sumSquare: [14, 77], l1: [6, 15],
      l2: [Math.sqrt(14), Math.sqrt(77)], logSumExp: rows.map(lse), logSum: [Math.log(6), Math.log(15)],
    };
    for (const dtype of ['float64', 'float16', 'int16', 'uint32'] as DType[]) {
      for (const kind of REDUCE_KINDS) {
        const y = lc[kind](put(rows, undefined, { dtype }), { axes: [1], keepdims: false });
        expect(y.dtype).toBe(dtype);
        const want = dtype.startsWith('float') ? expected[kind] : expected[kind].map(Math.trunc);
        const got = Array.from(await y.data<Float32Array>(), (v) => (dtype === 'float16' ? halfBitsToFloat32(v) : v));
        expectClose(got, want, { atol: 0, rtol: dtype === 'float16' ? 2 ** -11 : 1e-15 }, `${kind} ${dtype}`);
      }
    }
  });

  test('errors: bad axes, duplicates, dtypes, options, disposed', () => {
    const x = lc.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(thrown(() => lc.sum(x, { axes: [2], device }))).toMatch(/^BAD_ATTRIBUTE: sum: axes must be integers in \[-2, 1\]/);
    expect(thrown(() => lc.mean(x, { axes: [-3], device }))).toMatch(/^BAD_ATTRIBUTE: mean: axes/);
    expect(thrown(() => lc.max(x, { axes: [0.5], device }))).toMatch(/^BAD_ATTRIBUTE/);
    expect(thrown(() => lc.l2(x, { axes: [1, -1], device }))).toMatch(/^BAD_ATTRIBUTE: l2: axes must be distinct axes, got \[1,-1\]/);
    expect(thrown(() => lc.sum(x, { axes: 1 as unknown as number[], device }))).toMatch(/^BAD_ATTRIBUTE: sum: axes must be an array/);
    expect(thrown(() => lc.sum(x, { keepdims: 'yes' as unknown as boolean, device }))).toMatch(/^BAD_ATTRIBUTE: sum: keepdims/);
    expect(thrown(() => lc.sum(x, { axis: 1 } as ReduceAttrs))).toMatch(/^BAD_ATTRIBUTE: sum: option "axis"/);
    expect(thrown(() => lc.sum(lc.tensor([true, false]), { device }))).toMatch(/^DTYPE_UNSUPPORTED: sum: x dtype/);
    expect(thrown(() => lc.sum(lc.tensor([1]), { device: 'nope' }))).toMatch(/^DEVICE_UNAVAILABLE/);
    const gone = lc.tensor([1, 2]);
    gone.dispose();
    expect(thrown(() => lc.logSumExp(gone, { device }))).toMatch(/^DISPOSED: logSumExp/);
  });
});
