import * as lc from '../../src/index.js';
import { matmul } from '../../src/ops/matmul.js';
import { gemm } from '../../src/ops/gemm.js';
import { exactReference, expectClose, float16Tol, fromHalf, referenceOutputs } from '../helpers/compare.js';
import { testDevices } from '../helpers/devices.js';
import { runsFloat16 } from '../helpers/ops.js';
import { randomArray, rng, randomInt } from '../helpers/random.js';

// float32 products summed over K: each output's rounding error grows ~ sqrt(K) * eps * sum|a||b|
// for blocked sums; inputs are in [-1, 1], so |error| <= K * 2^-24 * c bounds every order of summation.
const tolFor = (K: number) => ({ atol: 4e-7 * Math.max(K, 1) + 1e-6, rtol: 1e-5 });

const devices = testDevices();

/** A row-major tensor, or (transposed=true) the transpose view of a tensor stored the other way round. */
function input(shape: number[], seed: number, transposed = false): lc.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!transposed || shape.length < 2) return lc.tensor(randomArray(n, seed), shape);
  const stored = [...shape.slice(0, -2), shape[shape.length - 1]!, shape[shape.length - 2]!];
  const t = lc.tensor(randomArray(n, seed), stored);
  const perm = [...shape.keys()];
  [perm[perm.length - 1], perm[perm.length - 2]] = [perm[perm.length - 2]!, perm[perm.length - 1]!];
  return lc.transpose(t, { perm });
}

/** Shapes every dtype's suite runs: 1s, vectors on either side, batch broadcasting, odd sizes. */
const SHAPES_BOTH_DTYPES: Array<[number[], number[]]> = [
  [[1, 1], [1, 1]],
  [[7], [7]],
  [[5], [5, 3]],
  [[4, 5], [5]],
  [[3, 17, 13], [13, 19]],
  [[2, 1, 6, 5], [3, 5, 7]],
  [[65, 129], [129, 33]],
];

describe.each(devices)('matmul on %s', (device) => {
  const cases: Array<[number[], number[]]> = [
    ...SHAPES_BOTH_DTYPES,
    [[127, 255], [255, 17]],
    [[3, 4096], [4096, 5]],
    [[0, 4], [4, 3]],
    [[3, 0], [0, 4]],
    [[1, 300], [300, 301]],
    // Around the AVX-512 tile (14x32) and blocking (MC 168, KC 256, NC 4096) edges.
    [[14, 32], [32, 32]],
    [[15, 257], [257, 33]],
    [[28, 520], [520, 64]],
    [[170, 40], [40, 31]],
    [[13, 9], [9, 4097]],
    [[2, 1, 29, 20], [3, 20, 65]],
    // One block of rows (M <= MC) over several K blocks, threaded: A packed once for all tasks.
    [[64, 784], [784, 128]],
  ];
  test.each(cases)('%j x %j', async (as, bs) => {
    const ah = input(as, 1), bh = input(bs, 2);
    const y = lc.matmul(ah.to(device), bh.to(device));
    const { info, outputs } = referenceOutputs(matmul, [ah, bh], {});
    expect(y.shape).toEqual(info.outputs[0]!.shape);
    expectClose(await y.data(), outputs[0]! as Float64Array, tolFor(info.K), `${as}x${bs}`);
  });

  test('random shapes with transposed (non-contiguous) operands', async () => {
    const r = rng(42);
    for (let iter = 0; iter < 12; iter++) {
      const M = randomInt(r, 1, 70), K = randomInt(r, 1, 90), N = randomInt(r, 1, 70);
      const batch = r() < 0.5 ? [] : [randomInt(r, 1, 3)];
      const ah = input([...batch, M, K], iter * 2 + 1, r() < 0.5);
      const bh = input([K, N], iter * 2 + 2, r() < 0.5);
      const y = lc.matmul(ah.to(device), bh.to(device));
      const { outputs } = referenceOutputs(matmul, [ah, bh], {});
      expectClose(await y.data(), outputs[0]! as Float64Array, tolFor(K), `M${M} K${K} N${N} batch ${batch}`);
    }
  });

  test('fused relu (internal option used by graph fusion)', async () => {
    const ah = input([9, 11], 3), bh = input([11, 10], 4);
    const y = await lc.matmul(ah.to(device), bh.to(device), { activation: 'relu' }).data();
    expect(Math.min(...y)).toBeGreaterThanOrEqual(0);
    const { outputs } = referenceOutputs(matmul, [ah, bh], { activation: 'relu' });
    expectClose(y, outputs[0]! as Float64Array, tolFor(11));
  });

  // precision 'tf32' lets a device round inputs to 10 mantissa bits (relative error per product
  // <= 2^-10, sums in fp32): |error| <= K * 2^-10 for inputs in [-1, 1]; 'highest' is plain fp32.
  test('precision: highest and tf32', async () => {
    const ah = input([33, 300], 5), bh = input([300, 20], 6);
    const { outputs } = referenceOutputs(matmul, [ah, bh], {});
    for (const precision of ['highest', 'tf32'] as const) {
      const y = await lc.matmul(ah.to(device), bh.to(device), { precision }).data();
      expectClose(y, outputs[0]! as Float64Array, precision === 'tf32' ? { atol: 300 * 2 ** -10, rtol: 0 } : tolFor(300), precision);
      const g = await lc.gemm(ah.to(device), bh.to(device), null, { precision }).data();
      expectClose(g, outputs[0]! as Float64Array, precision === 'tf32' ? { atol: 300 * 2 ** -10, rtol: 0 } : tolFor(300), `gemm ${precision}`);
    }
  });
});

describe.each(devices)('gemm on %s', (device) => {
  const combos: Array<{ transA: boolean; transB: boolean; alpha: number; beta: number; c: number[] | null }> = [];
  for (const transA of [false, true]) for (const transB of [false, true]) for (const c of [null, [1], [11], [1, 11], [13, 1], [13, 11], []]) {
    combos.push({ transA, transB, alpha: 0.75, beta: c ? 1.5 : 1, c });
  }
  combos.push({ transA: false, transB: false, alpha: 1, beta: 1, c: [11] });
  combos.push({ transA: false, transB: false, alpha: 1, beta: 0, c: [13, 11] });
  test.each(combos)('%j', async ({ transA, transB, alpha, beta, c }) => {
    const M = 13, N = 11, K = 17;
    const a = lc.tensor(randomArray(M * K, 5), transA ? [K, M] : [M, K]);
    const b = lc.tensor(randomArray(K * N, 6), transB ? [N, K] : [K, N]);
    const ct = c ? lc.tensor(randomArray(Math.max(1, c.reduce((x, y) => x * y, 1)), 7), c) : undefined;
    const y = lc.gemm(a.to(device), b.to(device), ct?.to(device), { transA, transB, alpha, beta });
    const { outputs } = referenceOutputs(gemm, [a, b, ct], { transA, transB, alpha, beta });
    expectClose(await y.data(), outputs[0]! as Float64Array, tolFor(K));
  });

  // One block of rows, threaded (A packed whole, column tasks with their own B panels): three K
  // blocks, a ragged last panel, C broadcast per column or whole, relu; transposed operands.
  test.each([[false, false, [131]], [true, false, [50, 131]], [false, true, [131]], [true, true, [50, 131]]] as const)('transA %s transB %s, 50x600x131, C %j, relu', async (transA, transB, c) => {
    const M = 50, N = 131, K = 600;
    const a = lc.tensor(randomArray(M * K, 11), transA ? [K, M] : [M, K]);
    const b = lc.tensor(randomArray(K * N, 12), transB ? [N, K] : [K, N]);
    const ct = lc.tensor(randomArray(c.reduce((x, y) => x * y, 1), 13), [...c]);
    const opts = { transA, transB, alpha: 0.5, beta: 0.75, activation: 'relu' as const };
    const y = lc.gemm(a.to(device), b.to(device), ct.to(device), opts);
    const { outputs } = referenceOutputs(gemm, [a, b, ct], opts);
    expectClose(await y.data(), outputs[0]! as Float64Array, tolFor(K));
  });

  // Transposed operands over several 14x32 tiles, ragged edges and two K blocks, with beta != 0.
  test.each([[false, false], [false, true], [true, false], [true, true]])('transA %s transB %s, 43x300x71, beta 0.5', async (transA, transB) => {
    const M = 43, N = 71, K = 300;
    const a = lc.tensor(randomArray(M * K, 8), transA ? [K, M] : [M, K]);
    const b = lc.tensor(randomArray(K * N, 9), transB ? [N, K] : [K, N]);
    const ct = lc.tensor(randomArray(M * N, 10), [M, N]);
    const opts = { transA, transB, alpha: -1.25, beta: 0.5 };
    const y = lc.gemm(a.to(device), b.to(device), ct.to(device), opts);
    const { outputs } = referenceOutputs(gemm, [a, b, ct], opts);
    expectClose(await y.data(), outputs[0]! as Float64Array, tolFor(K));
  });
});

/** A float16 host tensor of values in [-1, 1) (rounded to float16: the reference sees the same values). */
function half(shape: number[], seed: number): lc.Tensor {
  return lc.tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), shape, { dtype: 'float16' });
}

/** `half` stored with its last two dims swapped, moved to `device`, then seen through a transpose (a strided view there). */
function halfTransposed(shape: number[], seed: number, device: string): { host: lc.Tensor; dev: lc.Tensor } {
  const stored = half([...shape.slice(0, -2), shape[shape.length - 1]!, shape[shape.length - 2]!], seed);
  const perm = [...shape.keys()];
  [perm[perm.length - 1], perm[perm.length - 2]] = [perm[perm.length - 2]!, perm[perm.length - 1]!];
  return { host: lc.transpose(stored, { perm }), dev: lc.transpose(stored.to(device), { perm }) };
}

// float16 in, float16 out, float32 sums (float16Tol says why the tolerance is what it is). Shapes: 1s,
// 1-D operands, odd element counts (a half-filled last word), batches and broadcast batches, M, N and
// K off the tile sizes, the skinny and tile cores, vec4 and scalar B, K = 2000.
describe.each(devices)('float16 matmul and gemm on %s', (device) => {
  const stays = runsFloat16(device);
  async function check(y: lc.Tensor, ref: { output: Float64Array }, terms: number, label: string) {
    expect(y.dtype).toBe('float16');
    if (stays) expect(y.device).toBe(device);
    expectClose(fromHalf(await y.data<Uint16Array>()), ref.output, float16Tol(terms), label);
  }

  const cases: Array<[number[], number[]]> = [
    ...SHAPES_BOTH_DTYPES,
    [[33, 64], [64, 68]],
    [[3, 2000], [2000, 5]],
    [[40, 2000], [2000, 36]],
    [[1, 300], [300, 301]],
    [[0, 4], [4, 3]],
  ];
  test.each(cases)('%j x %j', async (as, bs) => {
    const a = half(as, 1), b = half(bs, 2);
    const ref = exactReference(matmul, [a, b], {});
    await check(lc.matmul(a.to(device), b.to(device)), ref, ref.info.K, `${as}x${bs}`);
  });

  test('transposed (non-contiguous) operands on the device, batched, and fused relu', async () => {
    for (const [as, bs, ta, tb] of [[[19, 37], [37, 23], true, false], [[19, 37], [37, 24], false, true], [[2, 9, 31], [31, 12], true, true]] as const) {
      const a = ta ? halfTransposed([...as], 3, device) : { host: half([...as], 3), dev: half([...as], 3).to(device) };
      const b = tb ? halfTransposed([...bs], 4, device) : { host: half([...bs], 4), dev: half([...bs], 4).to(device) };
      expect(ta ? a.dev.contiguous : b.dev.contiguous).toBe(false);
      await check(lc.matmul(a.dev, b.dev), exactReference(matmul, [a.host, b.host], {}), as[as.length - 1]!, `${as}x${bs} ${ta} ${tb}`);
    }
    const a = half([9, 11], 5), b = half([11, 10], 6);
    await check(lc.matmul(a.to(device), b.to(device), { activation: 'relu' }), exactReference(matmul, [a, b], { activation: 'relu' }), 11, 'relu');
  });

  test('gemm: transA, transB, alpha, beta, every C broadcast, relu', async () => {
    const M = 13, N = 11, K = 17;
    for (const transA of [false, true]) for (const transB of [false, true]) for (const c of [null, [1], [N], [M, 1], [M, N]]) {
      const a = half(transA ? [K, M] : [M, K], 7), b = half(transB ? [N, K] : [K, N], 8);
      const ct = c ? half(c, 9) : undefined;
      const attrs = { transA, transB, alpha: 0.75, beta: 1.5, ...(c && transA && transB ? { activation: 'relu' as const } : {}) };
      await check(lc.gemm(a.to(device), b.to(device), ct?.to(device), attrs), exactReference(gemm, [a, b, ct], attrs), K, JSON.stringify({ c, ...attrs }));
    }
    // The tile core with C, vec4 B.
    const a = half([70, 300], 10), b = half([300, 68], 11), c = half([68], 12);
    await check(lc.gemm(a.to(device), b.to(device), c.to(device), { beta: 0.5 }), exactReference(gemm, [a, b, c], { beta: 0.5 }), 300, 'tile gemm');
  });
});

describe('matmul/gemm validation', () => {
  test('cost counts bytes by element size (placement weighs float16 moves at half)', () => {
    const meta = (shape: number[], dtype: 'float32' | 'float16') => ({ shape, dtype });
    for (const [op, a, b] of [[matmul, [3, 4, 5], [5, 6]], [gemm, [4, 5], [5, 6]]] as const) {
      const c32 = op.cost(op.infer([meta([...a], 'float32'), meta([...b], 'float32')], {}) as never);
      const c16 = op.cost(op.infer([meta([...a], 'float16'), meta([...b], 'float16')], {}) as never);
      expect(c16.flops).toBe(c32.flops);
      expect(c16.bytes).toBe(c32.bytes / 2);
    }
  });

  test('mismatched inner dimension names both shapes', () => {
    expect(() => lc.matmul(lc.tensor(new Float32Array(6), [2, 3]), lc.tensor(new Float32Array(8), [4, 2]))).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringMatching(/matmul: b rows \(b \[4,2\]\) must be 3 \(the columns of a \[2,3\]\), got 4/) }),
    );
  });
  test('non-broadcastable batch dims', () => {
    expect(() => lc.matmul(lc.tensor(new Float32Array(12), [2, 2, 3]), lc.tensor(new Float32Array(18), [3, 3, 2]))).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
  });
  test('dtype mismatch', () => {
    expect(() => lc.matmul(lc.tensor(new Float32Array(4), [2, 2]), lc.tensor(new Float64Array(4), [2, 2]))).toThrow(
      expect.objectContaining({ code: 'DTYPE_UNSUPPORTED' }),
    );
  });
  test('gemm bad C shape and bad option', () => {
    const a = lc.tensor(new Float32Array(6), [2, 3]), b = lc.tensor(new Float32Array(6), [3, 2]);
    expect(() => lc.gemm(a, b, lc.tensor(new Float32Array(3), [3]))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => lc.gemm(a, b, null, { transA: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'BAD_ATTRIBUTE' }));
    expect(() => lc.gemm(a, b, null, { tranzA: true } as never)).toThrow(expect.objectContaining({ code: 'BAD_ATTRIBUTE' }));
    expect(() => lc.gemm(a, b, null, { precision: 'fp8' as never })).toThrow(expect.objectContaining({ code: 'BAD_ATTRIBUTE', message: expect.stringContaining('precision') }));
    expect(() => lc.matmul(a, b, { precision: 'bf16' as never })).toThrow(expect.objectContaining({ code: 'BAD_ATTRIBUTE' }));
  });
  test('float64 and int32 matmul run on the reference path', async () => {
    const y = await lc.matmul(lc.tensor([[1, 2], [3, 4]], undefined, { dtype: 'int32' }), lc.tensor([[5, 6], [7, 8]], undefined, { dtype: 'int32' })).data<Int32Array>();
    expect(Array.from(y)).toEqual([19, 22, 43, 50]);
    const z = await lc.matmul(lc.tensor(new Float64Array([1, 2]), [1, 2]), lc.tensor(new Float64Array([3, 4]), [2, 1])).data<Float64Array>();
    expect(z[0]).toBe(11);
  });
});
