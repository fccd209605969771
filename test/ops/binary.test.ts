import * as lc from '../../src/index.js';
import { cpuKernels } from '../../src/backends/cpu/kernels/index.js';
import type { DType, TypedArray } from '../../src/dtype.js';
import { binaryOps, type BinaryName } from '../../src/ops/binary.js';
import { expectClose, referenceOutputs, type Tolerance } from '../helpers/compare.js';
import { testDevices } from '../helpers/devices.js';
import { on, putOn, reportFallbacks, stridedTensorOf, thrown } from '../helpers/ops.js';
import { randomArray, randomInt, rng } from '../helpers/random.js';

// Tolerances: add/sub/mul/div are correctly rounded float32 operations (error <= 1/2 ulp of the
// result against the float64 reference); one ulp (2^-23 relative) leaves margin. pow is scalar powf
// (< 1 ulp in glibc): two ulps. maximum/minimum select an input: exact. Integers: exact.
const ULP = 2 ** -23;
const TOL: Record<BinaryName, Tolerance> = {
  add: { atol: 0, rtol: ULP }, sub: { atol: 0, rtol: ULP }, mul: { atol: 0, rtol: ULP }, div: { atol: 0, rtol: ULP },
  maximum: { atol: 0, rtol: 0 }, minimum: { atol: 0, rtol: 0 }, pow: { atol: 0, rtol: 2 * ULP },
};
// Other devices (WebGPU, WGSL accuracy table): + - * correctly rounded, division 2.5 ulps, pow is
// exp2(b * log2(a)) with |b log2 a| <= 4.8 here: ~3 + 2*4.8 ulps plus log2's 3 ulps amplified by 4.8: 32 ulps.
const GPU_TOL: Partial<Record<BinaryName, Tolerance>> = { div: { atol: 0, rtol: 3 * ULP }, pow: { atol: 0, rtol: 32 * ULP } };
const tolerance = (name: BinaryName, device: string) => (device === 'cpu' ? TOL[name] : GPU_TOL[name] ?? TOL[name]);
const NAMES = Object.keys(binaryOps) as BinaryName[];

reportFallbacks();

/** Values suited to the op: pow gets positive bases (no NaN), div keeps the divisor away from 0. */
function values(name: BinaryName, side: 'a' | 'b', n: number, seed: number): Float32Array {
  if (name === 'pow') return side === 'a' ? randomArray(n, seed, 0.1, 3) : randomArray(n, seed, -3, 3);
  if (name === 'div' && side === 'b') return randomArray(n, seed, 0.25, 4).map((v, i) => (i % 2 ? -v : v));
  return randomArray(n, seed, -4, 4);
}

/** A float32 tensor of `shape`, either row-major or a strided view (permuted, padded strides, an offset). */
function input(name: BinaryName, side: 'a' | 'b', shape: readonly number[], seed: number, strided: boolean): lc.Tensor {
  if (strided) return stridedTensorOf(shape, seed, (n) => values(name, side, n, seed));
  return lc.tensor(values(name, side, shape.reduce((a, b) => a * b, 1), seed), shape);
}

async function check(name: BinaryName, a: lc.Tensor, b: lc.Tensor, device: string, tol = tolerance(name, device)): Promise<void> {
  const { info, outputs } = referenceOutputs(binaryOps[name], [a, b], {});
  const y = lc[name](on(device, a), on(device, b));
  expect(y.shape).toEqual(info.outputs[0]!.shape);
  expect(y.dtype).toBe(a.dtype);
  expectClose(await y.data(), outputs[0]! as Float64Array, tol, `${name} ${JSON.stringify(a.shape)} ${JSON.stringify(b.shape)}`);
}

/** Exact comparison for integers (BigInt-safe: no conversion to number). */
async function exact(y: lc.Tensor, expected: readonly (number | bigint)[]): Promise<void> {
  expect(Array.from((await y.data()) as unknown as ArrayLike<number | bigint>)).toEqual(expected);
}

/** Random broadcast-compatible shape pairs: dims 0, 1, primes; ranks 0-5; dims set to 1 or dropped on one side. */
function shapePairs(seed: number, count: number): Array<[number[], number[]]> {
  const r = rng(seed);
  const dims = [1, 2, 3, 5, 7, 13];
  const pairs: Array<[number[], number[]]> = [];
  while (pairs.length < count) {
    const rank = randomInt(r, 0, 5);
    const out = Array.from({ length: rank }, () => (r() < 0.05 ? 0 : dims[randomInt(r, 0, dims.length - 1)]!));
    if (out.reduce((p, q) => p * q, 1) > 3000) continue;
    const a = out.map((d) => (r() < 0.3 ? 1 : d)).slice(randomInt(r, 0, Math.min(rank, 2)) * (r() < 0.3 ? 1 : 0));
    const b = out.map((d) => (r() < 0.3 ? 1 : d)).slice(randomInt(r, 0, Math.min(rank, 2)) * (r() < 0.3 ? 1 : 0));
    pairs.push([a, b]);
  }
  return pairs;
}

const PATTERNS: Array<[number[], number[]]> = [
  [[3, 4, 5], [3, 4, 5]], [[3, 4, 5], [5]], [[5], [3, 4, 5]], [[3, 1], [1, 4]], [[2, 1, 3], [4, 1]], [[], [2, 3]],
  [[2, 3], []], [[], []], [[1], []], [[0, 3], [1, 3]], [[0], [1]], [[4, 0, 2], [4, 1, 2]], [[1, 1, 7], [6, 5, 1]],
  [[2, 3, 1, 5], [3, 4, 1]], [[13, 17], [13, 1]], [[1, 1, 1, 1, 1, 1], [1]], [[2, 2, 2, 2, 2, 2, 2, 2, 2], [2]],
];

test('float32 binary ops take the native kernel; other dtypes do not', () => {
  const a = lc.tensor(new Float32Array(6), [2, 3]), b = lc.tensor(new Float32Array(3), [3]);
  for (const name of NAMES) {
    expect(cpuKernels[name]!.accepts(binaryOps[name].infer([a, b], {}), [a.view(), b.view()], {})).toBe(true);
    const i = lc.tensor(new Int32Array(3), [3]);
    expect(cpuKernels[name]!.accepts(binaryOps[name].infer([i, i], {}), [i.view(), i.view()], {})).toBe(false);
  }
});

describe.each(testDevices())('binary ops on %s', (device) => {
  const put = putOn(device);

  test.each(NAMES)('%s: every broadcasting pattern, row-major and strided views', async (name) => {
    const pairs = [...PATTERNS, ...shapePairs(NAMES.indexOf(name) + 1, 40)];
    for (const [i, [sa, sb]] of pairs.entries()) {
      for (const strided of [false, true]) {
        await check(name, input(name, 'a', sa, 2 * i + 1, strided), input(name, 'b', sb, 2 * i + 2, strided && i % 2 === 0), device);
      }
    }
  });

  test.each(NAMES)('%s: transposed and broadcast views of one base, large enough for threads', async (name) => {
    const base = input(name, 'a', [64, 1031], 7, false);
    const t = lc.transpose(base); // [1031, 64], strides [1, 1031]
    await check(name, t, input(name, 'b', [1031, 64], 8, false), device);
    await check(name, t, input(name, 'b', [64], 9, false), device);
    await check(name, input(name, 'a', [1031, 1], 10, false), lc.reshape(input(name, 'b', [2 * 64], 11, false), [2, 1, 64]), device);
    await check(name, lc.unsqueeze(t, { axes: [0] }), t, device);
  });

  test('float32 specials: inf, NaN, division by zero, C pow rules', async () => {
    const a = put([1, -1, 0, 0, NaN, 2, -8, 1, -1, 4]);
    const b = put([0, 0, 0, -0, 1, NaN, 0.25, NaN, Infinity, 0.5]);
    expect(Array.from(await lc.div(a, b).data())).toEqual([Infinity, -Infinity, NaN, NaN, NaN, NaN, -32, NaN, -0, 8]);
    expect(Array.from(await lc.pow(a, b).data())).toEqual([1, 1, 1, 1, NaN, NaN, NaN, 1, 1, 2]);
    expect(Array.from(await lc.maximum(put([1, NaN, 3]), put([NaN, 2, 2])).data())).toEqual([NaN, NaN, 3]);
    expect(Array.from(await lc.minimum(put([1, NaN, 3]), put([NaN, 2, 2])).data())).toEqual([NaN, NaN, 2]);
    expect(Array.from(await lc.add(put([3e38, -3e38]), put([3e38, -3e38])).data())).toEqual([Infinity, -Infinity]);
  });

  test('numbers as operands broadcast as 0-d tensors of the other dtype', async () => {
    expect(Array.from(await lc.sub(put([1, 2, 3]), 1).data())).toEqual([0, 1, 2]);
    expect(Array.from(await lc.div(12, put([1, 2, 3])).data())).toEqual([12, 6, 4]);
    await exact(lc.mul(put([1, -2], [2], { dtype: 'int8' }), 100), [100, 56]);
    await exact(lc.add(put(new BigInt64Array([2n ** 60n])), 1), [2n ** 60n + 1n]);
  });

  test('integer semantics: wraparound, truncating division, exact 64-bit (hand-computed)', async () => {
    const t = (data: number[] | bigint[], dtype: DType) => put(data as number[], [data.length], { dtype });
    await exact(lc.add(t([100, -128, 127], 'int8'), t([100, -1, 1], 'int8')), [-56, 127, -128]);
    await exact(lc.sub(t([3, 0], 'uint8'), t([5, 1], 'uint8')), [254, 255]);
    await exact(lc.mul(t([300, -300], 'int16'), t([300, 300], 'int16')), [24464, -24464]);
    await exact(lc.add(t([2147483647], 'int32'), t([1], 'int32')), [-2147483648]);
    await exact(lc.mul(t([65536, 123456789], 'int32'), t([65536, 987654321], 'int32')), [0, -67153019]);
    await exact(lc.mul(t([4294967295], 'uint32'), t([4294967295], 'uint32')), [1]);
    await exact(lc.div(t([-7, 7, -7, 7, 7, -2147483648], 'int32'), t([2, 2, -2, -2, 0, -1], 'int32')), [-3, 3, 3, -3, 0, -2147483648]);
    await exact(lc.div(t([250, 7], 'uint8'), t([3, 0], 'uint8')), [83, 0]);
    await exact(lc.pow(t([3, 2, -2, 1, -1, -1, 5], 'int32'), t([4, 31, 3, -5, -3, -4, -1], 'int32')), [81, -2147483648, -8, 1, -1, 1, 0]);
    await exact(lc.maximum(t([-5, 9], 'int16'), t([3, -9], 'int16')), [3, 9]);
    await exact(lc.minimum(t([4000000000, 1], 'uint32'), t([3000000000, 2], 'uint32')), [3000000000, 1]);
    const big = 2n ** 62n, odd = 9007199254740993n; // 2^53 + 1: not a float64
    await exact(lc.add(t([big, odd], 'int64'), t([big, 2n], 'int64')), [-(2n ** 63n), odd + 2n]);
    await exact(lc.mul(t([odd, -odd], 'int64'), t([3n, 3n], 'int64')), [3n * odd, -3n * odd]);
    await exact(lc.div(t([-odd, odd, 5n], 'int64'), t([2n, -2n, 0n], 'int64')), [-(odd / 2n), -(odd / 2n), 0n]);
    await exact(lc.sub(t([0n, 1n], 'uint64'), t([1n, 1n], 'uint64')), [2n ** 64n - 1n, 0n]);
    await exact(lc.mul(t([2n ** 63n], 'uint64'), t([2n], 'uint64')), [0n]);
    await exact(lc.pow(t([3n, 2n, 7n], 'int64'), t([40n, 64n, -1n], 'int64')), [BigInt.asIntN(64, 3n ** 40n), 0n, 0n]);
    await exact(lc.maximum(t([odd, 1n], 'int64'), t([odd - 1n, 2n], 'int64')), [odd, 2n]);
  });

  test.each(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float64', 'float16'] as DType[])(
    '%s: random broadcasting against the reference', async (dtype) => {
      const r = rng(dtype.length * 31);
      for (const [i, [sa, sb]] of shapePairs(dtype.length, 12).entries()) {
        for (const name of NAMES) {
          const make = (shape: number[], seed: number, lo: number) => {
            const n = shape.reduce((p, q) => p * q, 1);
            const vals = Array.from({ length: n }, () => (dtype === 'float16' || dtype === 'float64' ? randomArray(1, seed++, lo, 4)[0]! : randomInt(r, lo, 300)));
            return lc.tensor(vals, shape, { dtype });
          };
          const lo = name === 'pow' ? 0 : dtype.startsWith('u') ? 0 : -300;
          const a = make(sa, 3 * i + 1, name === 'pow' && dtype.startsWith('float') ? 0.5 : lo);
          const b = make(sb, 3 * i + 2, name === 'pow' ? (dtype.startsWith('float') ? -2 : 0) : lo);
          const { outputs } = referenceOutputs(binaryOps[name], [a, b], {});
          const y = lc[name](on(device, a), on(device, b));
          const got = (await y.data()) as TypedArray;
          if (dtype === 'float16') expect(Array.from(got as Uint16Array)).toEqual(Array.from(outputs[0] as Uint16Array));
          else if (dtype === 'float64') expectClose(got as Float64Array, outputs[0] as Float64Array, { atol: 0, rtol: 0 }, `${name} ${dtype}`);
          else expect(Array.from(got as unknown as ArrayLike<number | bigint>)).toEqual(Array.from(outputs[0] as unknown as ArrayLike<number | bigint>));
        }
      }
    });

  test('errors: shapes, dtypes, options, operands', () => {
    const x = put(new Float32Array(6), [2, 3]);
    expect(thrown(() => lc.add(x, put(new Float32Array(4), [4])))).toMatch(/^SHAPE_MISMATCH: add: input shapes must be broadcastable, got "\[2,3\] and \[4\]"/);
    expect(thrown(() => lc.mul(x, put(new Float32Array(6), [3, 2])))).toMatch(/^SHAPE_MISMATCH: mul/);
    expect(thrown(() => lc.sub(x, put(new Int32Array(3), [3])))).toMatch(/^DTYPE_UNSUPPORTED: sub: b dtype must be float32/);
    expect(thrown(() => lc.div(put([true, false]), put([true, true])))).toMatch(/^DTYPE_UNSUPPORTED: div: a dtype/);
    expect(thrown(() => lc.pow(x, x, { axis: 1 } as object))).toMatch(/^BAD_ATTRIBUTE: pow: option "axis"/);
    expect(thrown(() => lc.add(1 as unknown as lc.Tensor, 2))).toMatch(/^BAD_ARGUMENT: add: a must be a Tensor/);
    const gone = lc.tensor([1, 2]);
    gone.dispose();
    expect(thrown(() => lc.maximum(gone, x))).toMatch(/^DISPOSED: maximum/);
  });
});
