// conv2dMaxPool: conv2d (+ relu) followed by a 2x2 / stride-2 max pool, made by the fusion pass for
// CPU-only plans. Checked through compiled graphs against the op's float64 reference on every CPU
// conv path: Winograd (the pool in its output transform; odd and even output sizes, one block or
// several per image, several images per block), the direct, batched, depthwise and GEMM paths (pooled
// through an L2-sized buffer).
import * as lc from '../../src/index.js';
import { FakeDevice } from '../graph/fake.js';
import { conv2dMaxPool } from '../../src/ops/conv2dMaxPool.js';
import { expectClose, referenceOutputs } from '../helpers/compare.js';
import { thrown } from '../helpers/ops.js';
import { randomArray } from '../helpers/random.js';

interface Case { x: number[]; w: number[]; opts?: lc.Conv2dOptions & { bias?: never }; bias?: boolean; relu?: boolean }

const tolFor = (terms: number) => ({ atol: 3e-7 * terms + 1e-6, rtol: 1e-5 });
const POOL = { kernelShape: [2, 2], strides: [2, 2] };

function graphOf(c: Case, w: lc.Tensor, bias: lc.Tensor | undefined, pool: Record<string, unknown> = POOL) {
  const g = new lc.Graph();
  const x = g.input('x', c.x);
  let h = g.conv2d(x, g.constant(w), { ...c.opts, ...(bias ? { bias: g.constant(bias) } : {}), name: 'conv' });
  if (c.relu) h = g.relu(h, { name: 'relu' });
  g.output('y', g.maxPool2d(h, { ...pool, name: 'pool' } as never));
  return g;
}

async function check(c: Case, seed: number) {
  const x = lc.tensor(randomArray(c.x.reduce((a, b) => a * b, 1), seed), c.x);
  const w = lc.tensor(randomArray(c.w.reduce((a, b) => a * b, 1), seed + 1), c.w);
  const bias = c.bias ? lc.tensor(randomArray(c.w[0]!, seed + 2), [c.w[0]!]) : undefined;
  const model = await lc.compile(graphOf(c, w, bias), { devices: ['cpu'] });
  expect(model.placement.map((p) => [p.op, p.fused])).toEqual([['conv2dMaxPool', c.relu ? ['relu', 'pool'] : ['pool']]]);
  const attrs = { ...c.opts, activation: c.relu ? 'relu' as const : 'none' as const };
  const { info, outputs } = referenceOutputs(conv2dMaxPool, [x, w, bias], attrs);
  for (let run = 0; run < 3; run++) { // the third run replays the recorded native plan
    const { y } = await model.run({ x });
    expect(y!.shape).toEqual(info.outputs[0]!.shape);
    expectClose(await y!.data(), outputs[0]! as Float64Array, tolFor((info.C / info.groups) * info.KH * info.KW), `${JSON.stringify(c)} run ${run}`);
  }
}

describe('conv2dMaxPool on cpu', () => {
  const cases: Case[] = [
    { x: [64, 32, 13, 13], w: [64, 32, 3, 3], bias: true, relu: true }, // the seed CNN's conv2 + pool2
    { x: [3, 16, 13, 13], w: [24, 16, 3, 3], bias: true }, // Winograd, odd 11x11 output
    { x: [5, 17, 6, 6], w: [19, 17, 3, 3], opts: { pads: [1, 1, 1, 1] }, relu: true }, // even 6x6, images per block
    { x: [1, 64, 12, 12], w: [64, 64, 3, 3], opts: { pads: [1, 1, 1, 1] }, bias: true }, // few tiles: split by channels
    { x: [2, 16, 40, 37], w: [20, 16, 3, 3], opts: { pads: [2, 2, 0, 1] }, relu: true }, // several blocks per image
    { x: [1, 16, 46, 17], w: [16, 16, 3, 3], relu: true }, // narrow (7 pooled tiles a row): blocks that start mid-row
    { x: [9, 1, 28, 28], w: [32, 1, 3, 3], bias: true, relu: true }, // direct (the seed CNN's conv1 + pool1)
    { x: [3, 2, 36, 41], w: [7, 2, 3, 3], opts: { pads: [1, 0, 0, 2], dilations: [1, 2] }, relu: true }, // direct: odd 35x39 output, 3 column groups
    { x: [4, 3, 9, 8], w: [5, 3, 2, 2], bias: true }, // direct 2x2 kernel: odd 8x7 output
    { x: [40, 16, 5, 5], w: [16, 16, 3, 3], bias: true, relu: true }, // batched: 3x3 outputs, a 1x1 pool
    { x: [2, 8, 11, 12], w: [8, 1, 3, 3], opts: { groups: 8, pads: [1, 1, 1, 1] }, relu: true }, // depthwise
    { x: [3, 6, 17, 15], w: [10, 6, 3, 3], opts: { strides: [2, 2] }, bias: true }, // general GEMM path
    { x: [2, 24, 9, 10], w: [12, 24, 1, 1], relu: true }, // 1x1
  ];
  test.each(cases)('%j', async (c) => check(c, 21));

  test('a batch in several buffered blocks of images', async () => check({ x: [20, 1, 28, 28], w: [32, 1, 3, 3], bias: true, relu: true }, 5));

  test('not fused: other pools, activations, or plans with other devices', async () => {
    const c: Case = { x: [2, 4, 8, 8], w: [4, 4, 3, 3] };
    const w = lc.tensor(randomArray(144, 3), c.w);
    const opsOf = async (g: lc.Graph, devices: string[] = ['cpu']) => (await lc.compile(g, { devices })).placement.map((p) => p.op);
    for (const pool of [{ kernelShape: [2, 2], strides: [1, 1] }, { kernelShape: [3, 3], strides: [2, 2] }, { ...POOL, pads: [1, 1, 1, 1] }, { ...POOL, ceilMode: true }]) {
      expect(await opsOf(graphOf(c, w, undefined, pool))).toEqual(['conv2d', 'maxPool2d']);
    }
    const g = new lc.Graph();
    g.output('y', g.maxPool2d(g.sigmoid(g.conv2d(g.input('x', c.x), g.constant(w))), POOL));
    expect(await opsOf(g)).toEqual(['conv2d', 'maxPool2d']);
    // With another device (test-only fakes): a plan that uses it keeps the pair unfused (only the
    // CPU has the fused kernel); the model's plans for the CPU alone (a split's single-device runs,
    // fallback) fuse, and so does a plan whose placement put every node on the CPU anyway.
    const fast = new FakeDevice('fake:pool-fast', { flopsPerSec: 1e15 }).register();
    const slow = new FakeDevice('fake:pool-slow', { flopsPerSec: 1e3 }).register();
    try {
      expect(await opsOf(graphOf(c, w, undefined), [fast.id, 'cpu'])).toEqual(['conv2d', 'maxPool2d']);
      const model = await lc.compile(graphOf(c, w, undefined), { devices: [fast.id, 'cpu'] });
      expect(model.placement.map((p) => p.device)).toEqual([fast.id, fast.id]);
      expect(model.plan(new Map([['x', c.x]]), 'cpu').placement.map((p) => p.op)).toEqual(['conv2dMaxPool']);
      expect(await opsOf(graphOf(c, w, undefined), [slow.id, 'cpu'])).toEqual(['conv2dMaxPool']);
    } finally {
      fast.unregister();
      slow.unregister();
    }
  });

  test('cost: the pool cuts the bytes written, counted by element size', () => {
    const meta = (shape: number[], dtype: 'float32' | 'float16') => ({ shape, dtype });
    const cost = (dtype: 'float32' | 'float16') => conv2dMaxPool.cost(conv2dMaxPool.infer([meta([2, 3, 9, 9], dtype), meta([4, 3, 3, 3], dtype)], {}));
    // x 486 + w 108 + pooled y 2*4*3*3 = 72 elements (the conv's 392 less the 320 the pool drops)
    expect(cost('float32').bytes).toBe(4 * (486 + 108 + 72));
    expect(cost('float16').bytes).toBe(2 * (486 + 108 + 72));
  });

  test('attribute errors name the op', () => {
    const meta = (shape: number[]) => ({ shape, dtype: 'float32' as const });
    expect(thrown(() => conv2dMaxPool.infer([meta([1, 2, 5, 5]), meta([2, 2, 3, 3])], { activation: 'gelu' }))).toMatch(/BAD_ATTRIBUTE.*conv2dMaxPool.*activation/);
    expect(thrown(() => conv2dMaxPool.infer([meta([1, 2, 3, 5]), meta([2, 2, 3, 3])], {}))).toMatch(/SHAPE_MISMATCH.*conv2dMaxPool.*2x2/);
  });
});
