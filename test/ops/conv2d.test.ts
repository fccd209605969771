import * as lc from '../../src/index.js';
import { conv2d } from '../../src/ops/conv2d.js';
import type { AutoPad } from '../../src/ops/window.js';
import { exactReference, expectClose, float16Tol, fromHalf, referenceOutputs } from '../helpers/compare.js';
import { testDevices } from '../helpers/devices.js';
import { runsFloat16 } from '../helpers/ops.js';
import { randomArray, randomInt, rng } from '../helpers/random.js';

// Each output sums C/groups*KH*KW float32 products of values in [-1, 1]: bound the
// accumulated rounding by (terms) * 2^-24 * small constant, plus relative slack.
const tolFor = (terms: number) => ({ atol: 3e-7 * terms + 1e-6, rtol: 1e-5 });

const devices = testDevices();

interface Case {
  x: number[];
  w: number[];
  opts: lc.Conv2dOptions & { bias?: never };
  bias?: boolean;
}

/** Host inputs (the reference reads these) and the op run on `device`. */
function runCase(device: string, c: Case, seed: number) {
  const x = lc.tensor(randomArray(c.x.reduce((a, b) => a * b, 1), seed), c.x);
  const w = lc.tensor(randomArray(c.w.reduce((a, b) => a * b, 1), seed + 1), c.w);
  const bias = c.bias ? lc.tensor(randomArray(c.w[0]!, seed + 2), [c.w[0]!]) : undefined;
  return { x, w, bias, y: lc.conv2d(x.to(device), w.to(device), { ...c.opts, bias: bias?.to(device) }) };
}

async function check(device: string, c: Case, seed: number) {
  const { x, w, bias, y } = runCase(device, c, seed);
  const { info, outputs } = referenceOutputs(conv2d, [x, w, bias], c.opts);
  expect(y.shape).toEqual(info.outputs[0]!.shape);
  expectClose(await y.data(), outputs[0]! as Float64Array, tolFor((info.C / info.groups) * info.KH * info.KW), JSON.stringify(c));
}

describe.each(devices)('conv2d on %s', (device) => {
  const fixed: Case[] = [
    { x: [1, 1, 5, 5], w: [1, 1, 3, 3], opts: { pads: [1, 1, 1, 1] } },
    { x: [1, 64, 12, 12], w: [64, 64, 3, 3], opts: { pads: [1, 1, 1, 1] }, bias: true },
    { x: [2, 16, 9, 11], w: [24, 16, 1, 1], opts: {}, bias: true },
    { x: [1, 16, 9, 11], w: [8, 16, 1, 1], opts: { strides: [2, 2] } },
    { x: [2, 12, 10, 9], w: [12, 1, 3, 3], opts: { groups: 12, pads: [1, 1, 1, 1] }, bias: true },
    { x: [1, 8, 13, 13], w: [16, 1, 3, 3], opts: { groups: 8, strides: [2, 2] } },
    { x: [1, 6, 11, 7], w: [9, 2, 3, 2], opts: { groups: 3, pads: [0, 1, 2, 1] } },
    { x: [1, 3, 17, 19], w: [5, 3, 3, 3], opts: { dilations: [2, 3], pads: [2, 1, 0, 3] } },
    { x: [1, 512, 6, 6], w: [7, 512, 3, 3], opts: { pads: [1, 1, 1, 1] } }, // K = 4608 >= 4096
    { x: [3, 1, 28, 28], w: [4, 1, 5, 5], opts: { autoPad: 'SAME_UPPER' } },
    { x: [1, 1, 7, 5], w: [1, 1, 3, 3], opts: { strides: [2, 2], pads: [1, 0, 1, 0] } },
    { x: [0, 3, 5, 5], w: [2, 3, 3, 3], opts: {} },
    { x: [1, 2, 3, 3], w: [2, 2, 3, 3], opts: { kernelShape: [3, 3] } },
    // The packed implicit GEMM (14x32 tiles on AVX-512): M not a multiple of 14, ragged 32-column
    // panels, K over two K blocks, one image (the product split into tiles) and two (task mode).
    { x: [1, 33, 20, 20], w: [29, 33, 3, 3], opts: { strides: [2, 2] }, bias: true },
    { x: [2, 9, 21, 19], w: [15, 9, 3, 3], opts: { strides: [2, 2], pads: [1, 0, 0, 1], activation: 'relu' }, bias: true },
  ];
  test.each(fixed)('%j', async (c) => check(device, c, 11));

  // Stride-1 single-group convs on small images take the direct path on AVX2 CPUs (conv2d_direct.cc):
  // channel counts that are not multiples of its 4-channel blocks, rows wider and narrower than its
  // 8-wide vectors, flat tiles that end mid-row, asymmetric pads, dilations, batches, fused relu.
  test('small-image stride-1 convs (the direct path)', async () => {
    let seed = 300;
    const shapes: [number[], number[], Case["opts"]][] = [
      [[1, 1, 28, 28], [8, 1, 5, 5], { pads: [2, 2, 2, 2] }],
      [[2, 8, 14, 14], [16, 8, 5, 5], { pads: [2, 2, 2, 2] }],
      [[3, 64, 5, 5], [13, 64, 3, 3], {}],
      [[1, 3, 4, 4], [1, 3, 3, 3], { pads: [1, 0, 2, 1] }],
      [[2, 5, 9, 23], [6, 5, 3, 4], { dilations: [2, 1], pads: [1, 2, 0, 1] }],
      [[1, 2, 3, 17], [7, 2, 2, 3], { pads: [0, 0, 0, 0] }],
      [[4, 1, 26, 26], [32, 1, 3, 3], {}],
      [[1, 7, 6, 6], [3, 7, 1, 3], { autoPad: 'SAME_LOWER' }],
    ];
    for (const [x, w, opts] of shapes) await check(device, { x, w, opts, bias: seed % 2 === 0 }, seed++);
    // random small stride-1 convs: tiles split between threads at any flat position
    const r = rng(77);
    for (let i = 0; i < 24; i++) {
      const kh = randomInt(r, 1, 5), kw = randomInt(r, 2, 5), c = randomInt(r, 1, 9), m = randomInt(r, 1, 13);
      const dil = [randomInt(r, 1, 2), randomInt(r, 1, 2)];
      const pads = [randomInt(r, 0, kh - 1), randomInt(r, 0, kw - 1), randomInt(r, 0, kh - 1), randomInt(r, 0, kw - 1)];
      const h = dil[0]! * (kh - 1) + randomInt(r, 1, 20), w = dil[1]! * (kw - 1) + randomInt(r, 1, 30);
      await check(device, { x: [randomInt(r, 1, 3), c, h, w], w: [m, c, kh, kw], opts: { pads, dilations: dil }, bias: i % 2 === 0 }, seed++);
    }
    // relu fused into the direct tiles: through a compiled graph
    const g = new lc.Graph();
    const xt = lc.tensor(randomArray(2 * 3 * 11 * 11, 7), [2, 3, 11, 11]);
    const wt = lc.tensor(randomArray(5 * 27, 8), [5, 3, 3, 3]);
    g.output('y', g.relu(g.conv2d(g.input('x', [2, 3, 11, 11]), g.constant(wt), { pads: [1, 1, 1, 1] })));
    const model = await lc.compile(g, { devices: [device] });
    const y = (await model.run({ x: xt })).y!;
    const ref = await lc.relu(lc.conv2d(xt, wt, { pads: [1, 1, 1, 1] })).data();
    expectClose(await y.data(), Float64Array.from(ref), tolFor(27), 'conv+relu');
  });

  // On AVX-512 CPUs the direct path tiles 4x6, 8x3 or 12x2 (channels x 16-wide row segments,
  // conv2d_direct_avx512.cc) with k-masked row tails, and reads the image in place when pads are 0:
  // every row length mod 16 (and OW < 16, OW = 16, 32, 48), channel counts past each block size,
  // C > 1, pads, dilations, relu and bias on and off, one image and the seed CNN's batch of 64.
  test('direct path row segments: every tail length, channel blocks, in-place and padded images', async () => {
    let seed = 500;
    const ms = [1, 3, 4, 5, 8, 12, 13, 24, 33, 7, 16];
    for (let ow = 1; ow <= 49; ow++) {
      const m = ms[ow % ms.length]!, c = 1 + (ow % 3), kw = 2 + (ow % 2), dw = ow % 5 === 0 ? 2 : 1;
      const pads = ow % 4 === 0 ? [1, 0, 0, 1] : [0, 0, 0, 0];
      const w = ow + (kw - 1) * dw - pads[1]! - pads[3]!;
      const opts: Case['opts'] = { pads, dilations: [1, dw], activation: ow % 3 === 0 ? 'relu' : undefined };
      await check(device, { x: [1 + (ow % 2), c, 5, w], w: [m, c, 3, kw], opts, bias: ow % 2 === 0 }, seed++);
    }
    await check(device, { x: [64, 1, 28, 28], w: [32, 1, 3, 3], opts: { activation: 'relu' }, bias: true }, seed++);
    await check(device, { x: [64, 1, 28, 28], w: [32, 1, 3, 3], opts: {} }, seed++);
  });

  // Batches of images with fewer than 16 output pixels each take the batched-GEMM path on AVX2
  // CPUs (conv2d_batched.cc): column blocks spanning images, slices of one group's pixels, partial
  // panels, pads, strides, dilations.
  test('many small images (the batched path)', async () => {
    let seed = 400;
    const shapes: [number[], number[], Case["opts"]][] = [
      [[8, 64, 5, 5], [13, 64, 3, 3], {}],
      [[16, 3, 4, 4], [5, 3, 3, 3], { pads: [1, 1, 1, 1], strides: [2, 2] }],
      [[21, 7, 5, 5], [9, 7, 2, 3], { dilations: [2, 1], pads: [0, 0, 1, 0] }],
      [[70, 2, 3, 3], [6, 2, 3, 3], { pads: [1, 1, 1, 1] }],
      // AVX-512: 32 images per panel, 14-row weight panels; N not a multiple of 32 (a 1-lane last
      // group), M not a multiple of 14, K = 576 over three K blocks, the seed CNN's conv3 with relu.
      [[33, 20, 4, 4], [29, 20, 3, 3], {}],
      [[64, 64, 5, 5], [64, 64, 3, 3], { activation: 'relu' }],
      [[40, 64, 5, 5], [15, 64, 3, 3], { activation: 'relu' }],
      // 21 groups of 32 transposed images, more than one workspace chunk holds (20)
      [[641, 64, 7, 7], [4, 64, 3, 3], { strides: [2, 2] }],
    ];
    for (const [x, w, opts] of shapes) await check(device, { x, w, opts, bias: seed % 2 === 0 }, seed++);
  });

  // 3x3 stride-1 convs with 16+ channels take Winograd F(2x2,3x3) on AVX2 CPUs; batches of small
  // images put several images in one block of tiles (conv2d_winograd.cc): odd batch sizes (a last
  // block with fewer images), odd output sizes (partial edge tiles), asymmetric pads.
  test('Winograd over batches of small images', async () => {
    let seed = 600;
    const shapes: [number[], number[], Case["opts"]][] = [
      [[9, 16, 13, 13], [16, 16, 3, 3], {}],
      [[10, 20, 7, 9], [24, 20, 3, 3], { pads: [1, 0, 1, 2] }],
      [[5, 17, 6, 6], [19, 17, 3, 3], { pads: [1, 1, 1, 1] }],
      // Large images: several blocks of tiles per image; pads of 2 start tile rows left of the image.
      [[2, 16, 40, 37], [20, 16, 3, 3], { pads: [2, 2, 0, 1] }],
      [[1, 24, 30, 30], [16, 24, 3, 3], {}],
      // Narrow images (<= 7 tiles a row: two tile rows per vector on AVX-512) cut into blocks
      // that start mid-row.
      [[1, 16, 24, 14], [16, 16, 3, 3], { pads: [0, 1, 0, 0] }],
    ];
    for (const [x, w, opts] of shapes) await check(device, { x, w, opts, bias: seed % 2 === 0 }, seed++);
  });

  // The fused epilogue's activations (set by graph fusion; also accepted as an option): relu in the
  // kernels' epilogues, gelu (exact) and sigmoid in the epilogue or right after on each device.
  test('fused activations: relu, gelu, sigmoid, with and without bias, direct and depthwise', async () => {
    let seed = 700;
    for (const activation of ['relu', 'gelu', 'sigmoid'] as const) {
      for (const c of [
        { x: [2, 3, 9, 9], w: [5, 3, 3, 3], opts: { pads: [1, 1, 1, 1], activation }, bias: true },
        { x: [1, 16, 12, 12], w: [16, 16, 3, 3], opts: { activation } },
        { x: [1, 4, 7, 7], w: [8, 1, 3, 3], opts: { groups: 4, activation }, bias: true },
      ] as Case[]) await check(device, c, seed++);
    }
  });

  test('weights given as a non-contiguous view on the device', async () => {
    const stored = lc.tensor(randomArray(3 * 3 * 4 * 5, 71), [3, 3, 4, 5]); // [KH, KW, C, M]
    const w = lc.transpose(stored.to(device), { perm: [3, 2, 0, 1] }); // [M, C, KH, KW], strided
    expect(w.contiguous).toBe(false);
    const x = lc.tensor(randomArray(2 * 4 * 8 * 8, 72), [2, 4, 8, 8]);
    const y = lc.conv2d(x.to(device), w, { pads: [1, 1, 1, 1] });
    const { outputs } = referenceOutputs(conv2d, [x, lc.transpose(stored, { perm: [3, 2, 0, 1] }), undefined], { pads: [1, 1, 1, 1] });
    expectClose(await y.data(), outputs[0]! as Float64Array, tolFor(36), 'strided w');
  });

  test('every autoPad with strides and dilations', async () => {
    let seed = 100;
    for (const autoPad of ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as AutoPad[]) {
      for (const s of [1, 2, 3]) {
        for (const d of [1, 2]) {
          await check(device, { x: [1, 3, 10, 9], w: [4, 3, 3, 2], opts: { autoPad, strides: [s, s], dilations: [d, d] } }, seed++);
        }
      }
    }
  });

  test('random configurations', async () => {
    const r = rng(7);
    for (let i = 0; i < 25; i++) {
      const groups = [1, 1, 2, 3][randomInt(r, 0, 3)]!;
      const cg = randomInt(r, 1, 5), mg = randomInt(r, 1, 4);
      const KH = randomInt(r, 1, 4), KW = randomInt(r, 1, 4);
      const dh = randomInt(r, 1, 2), dw = randomInt(r, 1, 2);
      const pads = [randomInt(r, 0, 2), randomInt(r, 0, 2), randomInt(r, 0, 2), randomInt(r, 0, 2)];
      const H = randomInt(r, dh * (KH - 1) + 1, 15), W = randomInt(r, dw * (KW - 1) + 1, 15);
      await check(device, {
        x: [randomInt(r, 1, 3), cg * groups, H, W], w: [mg * groups, cg, KH, KW], bias: r() < 0.5,
        opts: { groups, pads, strides: [randomInt(r, 1, 3), randomInt(r, 1, 3)], dilations: [dh, dw] },
      }, 200 + i);
    }
  });

  test('non-contiguous input (a transposed view) and fused relu', async () => {
    const stored = lc.tensor(randomArray(2 * 9 * 8 * 3, 5), [2, 9, 8, 3]); // N,W,H,C
    const x = lc.transpose(stored, { perm: [0, 3, 2, 1] }); // N,C,H,W view
    const w = lc.tensor(randomArray(5 * 3 * 3 * 3, 6), [5, 3, 3, 3]);
    const y = lc.conv2d(x.to(device), w.to(device), { pads: [1, 1, 1, 1], activation: 'relu' });
    const { outputs } = referenceOutputs(conv2d, [x, w], { pads: [1, 1, 1, 1], activation: 'relu' });
    expectClose(await y.data(), outputs[0]! as Float64Array, tolFor(27));
  });
});

// float16 in and out, float32 sums and epilogue (float16Tol says why the tolerance is what it is):
// the implicit GEMM and the depthwise kernel, bias, every fused activation, odd element counts,
// batches, K = 256*9 = 2304, and strided views on the device.
describe.each(devices)('float16 conv2d on %s', (device) => {
  const stays = runsFloat16(device);
  const half = (shape: number[], seed: number) => lc.tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), shape, { dtype: 'float16' });
  async function check16(x: lc.Tensor, w: lc.Tensor, bias: lc.Tensor | undefined, opts: lc.Conv2dOptions, dev: { x: lc.Tensor; w: lc.Tensor }, label: string) {
    const { info, output } = exactReference(conv2d, [x, w, bias], opts);
    const y = lc.conv2d(dev.x, dev.w, { ...opts, bias: bias?.to(device) });
    expect(y.dtype).toBe('float16');
    if (stays) expect(y.device).toBe(device);
    expectClose(fromHalf(await y.data<Uint16Array>()), output, float16Tol((info.C / info.groups) * info.KH * info.KW), label);
  }

  test('implicit GEMM and depthwise, bias and activations', async () => {
    let seed = 900;
    const cases: Case[] = [
      { x: [1, 1, 5, 5], w: [1, 1, 3, 3], opts: { pads: [1, 1, 1, 1] } },
      { x: [2, 16, 9, 11], w: [24, 16, 1, 1], opts: {}, bias: true },
      { x: [1, 6, 11, 7], w: [9, 2, 3, 2], opts: { groups: 3, pads: [0, 1, 2, 1], strides: [2, 1] }, bias: true },
      { x: [1, 3, 17, 19], w: [5, 3, 3, 3], opts: { dilations: [2, 3], pads: [2, 1, 0, 3], activation: 'relu' } },
      { x: [1, 256, 5, 5], w: [7, 256, 3, 3], opts: { pads: [1, 1, 1, 1] }, bias: true },
      { x: [2, 3, 9, 9], w: [70, 3, 3, 3], opts: { pads: [1, 1, 1, 1], activation: 'gelu' }, bias: true },
      { x: [2, 12, 10, 9], w: [12, 1, 3, 3], opts: { groups: 12, pads: [1, 1, 1, 1], activation: 'relu' }, bias: true },
      { x: [1, 4, 7, 7], w: [8, 1, 3, 3], opts: { groups: 4, strides: [2, 2], activation: 'sigmoid' }, bias: true },
      { x: [1, 3, 5, 5], w: [3, 1, 3, 3], opts: { groups: 3, activation: 'gelu' } },
    ];
    for (const c of cases) {
      const x = half(c.x, seed), w = half(c.w, seed + 1), bias = c.bias ? half([c.w[0]!], seed + 2) : undefined;
      seed += 3;
      await check16(x, w, bias, c.opts, { x: x.to(device), w: w.to(device) }, JSON.stringify(c));
    }
  });

  test('strided views on the device: a transposed input and transposed weights', async () => {
    const xs = half([2, 9, 8, 3], 950), ws = half([3, 3, 3, 5], 951); // N,W,H,C and KH,KW,C,M
    const xp = [0, 3, 2, 1], wp = [3, 2, 0, 1];
    const dev = { x: lc.transpose(xs.to(device), { perm: xp }), w: lc.transpose(ws.to(device), { perm: wp }) };
    expect(dev.x.contiguous || dev.w.contiguous).toBe(false);
    await check16(lc.transpose(xs, { perm: xp }), lc.transpose(ws, { perm: wp }), half([5], 952), { pads: [1, 1, 1, 1], activation: 'relu' }, dev, 'strided');
  });
});

describe('conv2d validation', () => {
  const x = lc.tensor(new Float32Array(1 * 4 * 5 * 5), [1, 4, 5, 5]);
  const w = lc.tensor(new Float32Array(2 * 4 * 3 * 3), [2, 4, 3, 3]);
  const bad = (fn: () => unknown, code: string, words: RegExp) => expect(fn).toThrow(expect.objectContaining({ code, message: expect.stringMatching(words) }));
  test('shape and attribute errors name op, argument, expected and actual', () => {
    bad(() => lc.conv2d(lc.tensor(new Float32Array(25), [5, 5]), w), 'SHAPE_MISMATCH', /conv2d: x rank must be 4/);
    bad(() => lc.conv2d(x, lc.tensor(new Float32Array(2 * 3 * 9), [2, 3, 3, 3])), 'SHAPE_MISMATCH', /conv2d: w dim 1 must be 4/);
    bad(() => lc.conv2d(x, w, { groups: 3 }), 'BAD_ATTRIBUTE', /groups must be a divisor/);
    bad(() => lc.conv2d(x, w, { strides: [0, 1] }), 'BAD_ATTRIBUTE', /strides must be an array of 2 integers >= 1, got \[0,1\]/);
    bad(() => lc.conv2d(x, w, { pads: [1, 1] }), 'BAD_ATTRIBUTE', /pads must be an array of 4/);
    bad(() => lc.conv2d(x, w, { autoPad: 'SAME' as AutoPad }), 'BAD_ATTRIBUTE', /autoPad must be one of/);
    bad(() => lc.conv2d(x, w, { autoPad: 'VALID', pads: [1, 1, 1, 1] }), 'BAD_ATTRIBUTE', /pads must be absent/);
    bad(() => lc.conv2d(x, w, { bias: lc.tensor(new Float32Array(3), [3]) }), 'SHAPE_MISMATCH', /bias shape must be \[2\]/);
    bad(() => lc.conv2d(x, w, { kernelShape: [2, 2] }), 'BAD_ATTRIBUTE', /kernelShape/);
    bad(() => lc.conv2d(lc.tensor(new Float32Array(4), [1, 4, 1, 1]), w), 'SHAPE_MISMATCH', /input spatial dim 0/);
    bad(() => lc.conv2d(lc.tensor(new Int32Array(100), [1, 4, 5, 5]), w), 'DTYPE_UNSUPPORTED', /x dtype/);
  });
});
