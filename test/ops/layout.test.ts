import * as lc from '../../src/index.js';
import { cpuKernels } from '../../src/backends/cpu/kernels/index.js';
import { allocate, type DType, type TypedArray } from '../../src/dtype.js';
import { native } from '../../src/native.js';
import { concat as concatOp, flatten as flattenOp, reshape as reshapeOp, squeeze as squeezeOp, transpose as transposeOp, unsqueeze as unsqueezeOp } from '../../src/ops/layout.js';
import type { OpDef } from '../../src/ops/op.js';
import { referenceOutputs } from '../helpers/compare.js';
import { testDevices } from '../helpers/devices.js';
import { on, putOn, thrown } from '../helpers/ops.js';
import { randomArray, randomInt, rng } from '../helpers/random.js';

// Layout ops move elements without arithmetic: every comparison is exact.

const values = async (t: lc.Tensor) => Array.from((await t.data()) as unknown as ArrayLike<number | bigint>);

/** Compares with the reference run on host copies of `inputs` (awaited: a copy from a device lands later). */
async function check<A>(op: OpDef<A, any>, y: lc.Tensor, inputs: lc.Tensor[], attrs: A): Promise<void> {
  for (const t of inputs) await t.data();
  const { info, outputs } = referenceOutputs(op, inputs, attrs);
  expect(y.shape).toEqual(info.outputs[0]!.shape);
  expect(await values(y)).toEqual(Array.from(outputs[0] as unknown as ArrayLike<number | bigint>));
}

function randomShape(r: () => number, maxRank = 5): number[] {
  const dims = [1, 2, 3, 5, 7];
  return Array.from({ length: randomInt(r, 0, maxRank) }, () => dims[randomInt(r, 0, dims.length - 1)]!);
}

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const shuffled = (r: () => number, n: number) => [...Array(n).keys()].sort(() => r() - 0.5);
/** Same storage: what a zero-copy view means. */
const shares = (a: lc.Tensor, b: lc.Tensor) => a.storage('test') === b.storage('test');

describe.each(testDevices())('layout ops on %s', (device) => {
  const put = putOn(device);
  // Every tensor crosses to the device and back: fewer random cases off the CPU keep the suite quick.
  const count = (n: number) => (device === 'cpu' ? n : Math.ceil(n / 6));

  test('transpose: random shapes and perms, default perm, views of views', async () => {
    const r = rng(1);
    for (let c = 0; c < count(60); c++) {
      const shape = randomShape(r);
      const x = put(randomArray(sizeOf(shape), c), shape);
      const perm = shuffled(r, shape.length);
      await check(transposeOp, lc.transpose(x, { perm }), [x.to('cpu')], { perm });
      const t = lc.transpose(lc.transpose(x, { perm }));
      await check(transposeOp, t, [lc.transpose(x.to('cpu'), { perm })], {});
    }
  });

  test('reshape: -1, 0 (copy and allowZero), empty dims, contiguous and strided inputs', async () => {
    const x = put(randomArray(2 * 3 * 4, 2), [2, 3, 4]);
    const cases: Array<[number[], number[], boolean?]> = [
      [[4, 6], [4, 6]], [[-1], [24]], [[0, -1], [2, 12]], [[0, 0, 4], [2, 3, 4]], [[2, -1, 2], [2, 6, 2]],
      [[1, 24, 1], [1, 24, 1]], [[4, 0, 2], [4, 3, 2]],
    ];
    for (const [spec, expected] of cases) {
      const y = lc.reshape(x, spec);
      expect(y.shape).toEqual(expected);
      await check(reshapeOp, y, [x.to('cpu')], { shape: spec });
    }
    const e = put(new Float32Array(0), [0, 3]);
    expect(lc.reshape(e, [3, 0], { allowZero: true }).shape).toEqual([3, 0]);
    expect(lc.reshape(e, [-1, 3]).shape).toEqual([0, 3]);
    expect(lc.reshape(e, [0, 3]).shape).toEqual([0, 3]);
    expect(lc.reshape(put([5]), []).shape).toEqual([]);
    const r = rng(3);
    for (let c = 0; c < count(30); c++) {
      const shape = randomShape(r);
      const t = lc.transpose(put(randomArray(sizeOf(shape), c), shape), { perm: shuffled(r, shape.length) });
      const spec = [sizeOf(shape)];
      await check(reshapeOp, lc.reshape(t, spec), [t.to('cpu')], { shape: spec });
    }
  });

  test('flatten every axis (negative too), contiguous and strided', async () => {
    const x = put(randomArray(2 * 3 * 4 * 5, 4), [2, 3, 4, 5]);
    const t = lc.transpose(x, { perm: [3, 1, 0, 2] });
    for (let axis = -4; axis <= 4; axis++) {
      const y = lc.flatten(x, { axis });
      const k = axis < 0 ? axis + 4 : axis;
      expect(y.shape).toEqual([sizeOf(x.shape.slice(0, k)), sizeOf(x.shape.slice(k))]);
      await check(flattenOp, y, [x.to('cpu')], { axis });
      await check(flattenOp, lc.flatten(t, { axis }), [lc.transpose(x.to('cpu'), { perm: [3, 1, 0, 2] })], { axis });
    }
    expect(lc.flatten(x).shape).toEqual([2, 60]);
    expect(lc.flatten(put(7), { axis: 0 }).shape).toEqual([1, 1]);
  });

  test('squeeze and unsqueeze: default and explicit axes, negative axes, strided inputs', async () => {
    const x = put(randomArray(6, 5), [1, 2, 1, 3, 1]);
    expect(lc.squeeze(x).shape).toEqual([2, 3]);
    expect(lc.squeeze(x, { axes: [0, -1] }).shape).toEqual([2, 1, 3]);
    expect(lc.unsqueeze(put(randomArray(6, 6), [2, 3]), { axes: [0, 3, -1] }).shape).toEqual([1, 2, 3, 1, 1]);
    expect(lc.unsqueeze(put(3), { axes: [0] }).shape).toEqual([1]);
    const t = lc.transpose(put(randomArray(5 * 7, 7), [5, 1, 7]), { perm: [2, 1, 0] });
    await check(squeezeOp, lc.squeeze(t, { axes: [1] }), [t.to('cpu')], { axes: [1] });
    await check(unsqueezeOp, lc.unsqueeze(t, { axes: [0, 4] }), [t.to('cpu')], { axes: [0, 4] });
    expect(await values(lc.squeeze(lc.unsqueeze(t, { axes: [1] })))).toEqual(await values(lc.reshape(t, [7, 5])));
  });

  test('concat: every axis, negative axis, empty and single parts, strided parts, many dtypes', async () => {
    const r = rng(8);
    for (let c = 0; c < count(40); c++) {
      const shape = randomShape(r, 4);
      if (shape.length === 0) shape.push(2);
      const axis = randomInt(r, -shape.length, shape.length - 1);
      const a = ((axis % shape.length) + shape.length) % shape.length;
      const parts = Array.from({ length: randomInt(r, 1, 4) }, (_, p) => {
        const s = shape.map((d, k) => (k === a ? randomInt(r, 0, 3) : d));
        const base = put(randomArray(sizeOf(s), 10 * c + p), s);
        return p % 2 ? lc.transpose(lc.transpose(base), { perm: [...s.keys()].reverse() }) : base;
      });
      await check(concatOp, lc.concat(parts, { axis }), parts.map((p) => p.to('cpu')), { axis });
    }
    const big = [lc.tensor(randomArray(300 * 257, 1), [300, 257]), lc.transpose(lc.tensor(randomArray(300 * 100, 2), [100, 300]))];
    await check(concatOp, lc.concat(big.map((t) => on(device, t)), { axis: 1 }), big, { axis: 1 });
    for (const dtype of ['int32', 'int64', 'uint64', 'float64', 'uint32', 'int8', 'float16', 'bool', 'uint16'] as DType[]) {
      const n = (k: number) => Array.from({ length: k }, (_, i) => (i * 7) % 5);
      const parts = [lc.tensor(n(6), [2, 3], { dtype }), lc.transpose(lc.tensor(n(4), [2, 2], { dtype })), lc.tensor(n(0), [2, 0], { dtype })];
      const y = lc.concat(parts.map((t) => on(device, t)), { axis: -1 });
      expect(y.dtype).toBe(dtype);
      await check(concatOp, y, parts, { axis: -1 });
    }
    expect(await values(lc.concat([put([1, 2]), put([3])]))).toEqual([1, 2, 3]);
  });

  test('errors: reshape, perm, axes, concat', () => {
    const x = put(new Float32Array(6), [2, 3]);
    expect(thrown(() => lc.reshape(x, [4, 2]))).toMatch(/^SHAPE_MISMATCH: reshape: shape must be 6 elements like the input \[2,3\], got "\[4,2\] \(8 elements\)"/);
    expect(thrown(() => lc.reshape(x, [-1, 4]))).toMatch(/^SHAPE_MISMATCH: reshape: shape must be compatible with 6 elements/);
    expect(thrown(() => lc.reshape(x, [0, 0, 0]))).toMatch(/^SHAPE_MISMATCH: reshape: shape\[2\]/);
    expect(thrown(() => lc.reshape(x, [-1, -1]))).toMatch(/^BAD_ATTRIBUTE: reshape: shape must be at most one -1/);
    expect(thrown(() => lc.reshape(x, [2, -2]))).toMatch(/^BAD_ATTRIBUTE: reshape: shape must be an array of integers >= -1/);
    expect(thrown(() => lc.reshape(x, [0, -1], { allowZero: true }))).toMatch(/^BAD_ATTRIBUTE: reshape: shape must be not both 0 and -1/);
    expect(thrown(() => lc.transpose(x, { perm: [0, 0] }))).toMatch(/^BAD_ATTRIBUTE: transpose: perm must be a permutation of 0..1, got \[0,0\]/);
    expect(thrown(() => lc.transpose(x, { perm: [1] }))).toMatch(/^BAD_ATTRIBUTE: transpose: perm/);
    expect(thrown(() => lc.flatten(x, { axis: 3 }))).toMatch(/^BAD_ATTRIBUTE: flatten: axis must be an integer in \[-2, 2\], got 3/);
    expect(thrown(() => lc.squeeze(x, { axes: [0] }))).toMatch(/^SHAPE_MISMATCH: squeeze: x dim 0 must be 1 to be squeezed, got "2 \(shape \[2,3\]\)"/);
    expect(thrown(() => lc.squeeze(x, { axes: [2] }))).toMatch(/^BAD_ATTRIBUTE: squeeze: axes/);
    expect(thrown(() => lc.unsqueeze(x, { axes: [1, 1] }))).toMatch(/^BAD_ATTRIBUTE: unsqueeze: axes must be distinct axes/);
    expect(thrown(() => lc.unsqueeze(x, {} as { axes: number[] }))).toMatch(/^BAD_ATTRIBUTE: unsqueeze: axes must be an array of integers/);
    expect(thrown(() => lc.concat([x, put(new Float32Array(4), [2, 2])], { axis: 0 }))).toMatch(/^SHAPE_MISMATCH: concat: tensors\[1\] shape must be \[2,3\] except along axis 0/);
    expect(thrown(() => lc.concat([x, put(new Float32Array(2), [2])]))).toMatch(/^SHAPE_MISMATCH: concat: tensors\[1\] shape/);
    expect(thrown(() => lc.concat([x, put(new Int32Array(6), [2, 3])]))).toMatch(/^DTYPE_UNSUPPORTED: concat: tensors\[1\] dtype/);
    expect(thrown(() => lc.concat([x], { axis: 2 }))).toMatch(/^BAD_ATTRIBUTE: concat: axis must be an integer in \[-2, 1\], got 2/);
    expect(thrown(() => lc.concat([]))).toMatch(/^BAD_ARGUMENT: concat: tensors must be a non-empty array/);
    expect(thrown(() => lc.concat([put(1), put(2)]))).toMatch(/^SHAPE_MISMATCH: concat: tensors\[0\] rank/);
  });
});

describe('zero-copy views (cpu)', () => {
  test('transpose, reshape, flatten, squeeze and unsqueeze share storage; reshape of a strided view copies', async () => {
    const x = lc.tensor(randomArray(2 * 3 * 4, 1), [2, 3, 4]);
    const t = lc.transpose(x);
    expect(shares(t, x)).toBe(true);
    expect(t.strides).toEqual([1, 4, 12]);
    for (const v of [lc.reshape(x, [6, 4]), lc.flatten(x, { axis: 2 }), lc.unsqueeze(x, { axes: [1] }), lc.squeeze(lc.unsqueeze(t, { axes: [0] })), lc.squeeze(lc.reshape(x, [1, 24]))]) {
      expect(shares(v, x)).toBe(true);
    }
    const copied = lc.reshape(t, [24]);
    expect(shares(copied, x)).toBe(false);
    expect(await values(copied)).toEqual(Array.from(await t.data()));
    // A contiguous slice-like view with an offset stays a view.
    expect(shares(lc.reshape(lc.squeeze(lc.unsqueeze(x, { axes: [0] })), [24]), x)).toBe(true);
  });

  test('disposing the base leaves views readable, and the other way round', async () => {
    const x = lc.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const t = lc.transpose(x);
    const r = lc.reshape(x, [3, 2]);
    x.dispose();
    expect(await values(t)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(await values(lc.add(r, 1))).toEqual([2, 3, 4, 5, 6, 7]);
    const y = lc.tensor([1, 2], [2]);
    const u = lc.unsqueeze(y, { axes: [0] });
    u.dispose();
    expect(await values(y)).toEqual([1, 2]);
  });

  test('a view of pending work waits for it', async () => {
    const big = lc.add(lc.tensor(randomArray(300000, 2), [600, 500]), 1);
    expect(await values(lc.transpose(big))).toEqual(Array.from(await lc.transpose(big).data()));
    expect((await lc.reshape(big, [-1]).data())[12345]).toBe((await big.data())[12345]);
  });
});

describe('native layout kernels (copies the runtime makes when a view is not possible)', () => {
  const run = (name: string, op: OpDef<any, any>, inputs: lc.Tensor[], attrs: object): TypedArray | undefined => {
    const info = op.infer(inputs, attrs);
    const kernel = cpuKernels[name]!;
    const views = inputs.map((t) => t.view());
    if (!native || !kernel.accepts(info, views, attrs)) return undefined;
    const out = allocate(info.outputs[0]!.dtype, sizeOf(info.outputs[0]!.shape));
    void kernel.run(native, info, views, [out], attrs, true);
    return out;
  };

  test('transpose and the row-major gathers match the reference for 4- and 8-byte dtypes; others decline', async () => {
    for (const dtype of ['float32', 'int32', 'int64', 'float64'] as DType[]) {
      const x = lc.transpose(lc.tensor(Array.from({ length: 60 }, (_, i) => i), [3, 4, 5], { dtype }), { perm: [2, 0, 1] });
      for (const [name, op, attrs] of [['transpose', transposeOp, { perm: [1, 2, 0] }], ['reshape', reshapeOp, { shape: [6, 10] }], ['flatten', flattenOp, { axis: 2 }],
        ['squeeze', squeezeOp, {}], ['unsqueeze', unsqueezeOp, { axes: [1] }]] as const) {
        const got = run(name, op as OpDef<any, any>, [x], attrs);
        if (!native) continue;
        expect(Array.from(got as unknown as ArrayLike<number>)).toEqual(Array.from(referenceOutputs(op as OpDef<any, any>, [x], attrs).outputs[0] as unknown as ArrayLike<number>));
      }
    }
    const h = lc.tensor([1, 2], [2], { dtype: 'float16' });
    expect(cpuKernels.transpose!.accepts(transposeOp.infer([h], {}), [h.view()], {})).toBe(false);
  });
});
