// Graph builder: one method per eager op, shape inference with dynamic dims, errors that name the node.
import * as lc from '../../src/index.js';

const EAGER_OPS = [
  'matmul', 'gemm', 'conv2d', 'sum', 'mean', 'max', 'min', 'prod', 'sumSquare', 'l1', 'l2', 'logSumExp', 'logSum', 'argmax', 'argmin',
  'softmax', 'logSoftmax', 'maxPool2d', 'maxPool2dWithIndices', 'avgPool2d', 'globalAvgPool', 'globalMaxPool', 'add', 'sub', 'mul', 'div',
  'maximum', 'minimum', 'pow', 'relu', 'sigmoid', 'tanh', 'gelu', 'exp', 'log', 'abs', 'neg', 'sqrt', 'erf', 'reciprocal', 'clip',
  'batchNorm', 'reshape', 'flatten', 'transpose', 'concat', 'squeeze', 'unsqueeze',
];

test('the graph has a method for every eager op', () => {
  const g = new lc.Graph() as unknown as Record<string, unknown>;
  for (const name of EAGER_OPS) {
    expect(typeof (lc as Record<string, unknown>)[name]).toBe('function');
    expect(typeof g[name]).toBe('function');
  }
});

test('shapes are inferred with dynamic dims', () => {
  const g = new lc.Graph();
  const x = g.input('x', [-1, 3, 32, 32]);
  const c = g.conv2d(x, g.constant(lc.tensor(new Float32Array(8 * 3 * 9), [8, 3, 3, 3])), { pads: [1, 1, 1, 1] });
  expect(c.shape).toEqual([-1, 8, 32, 32]);
  const p = g.maxPool2d(c, { kernelShape: [2, 2], strides: [2, 2] });
  expect(p.shape).toEqual([-1, 8, 16, 16]);
  expect(g.flatten(p).shape).toEqual([-1, 2048]);
  expect(g.flatten(p, { axis: 0 }).shape).toEqual([1, -1]);
  expect(g.reshape(p, [-1, 256]).shape).toEqual([-1, 256]);
  expect(g.sum(p, { axes: [0], keepdims: false }).shape).toEqual([8, 16, 16]);
  expect(g.mul(p, 2).shape).toEqual([-1, 8, 16, 16]);
  const [v, i] = g.maxPool2dWithIndices(c, { kernelShape: [2, 2], strides: [2, 2] });
  expect(v!.shape).toEqual(i!.shape);
  expect(i!.dtype).toBe('int64');
});

test('a bad node is refused at build time with an error naming the node', () => {
  const g = new lc.Graph();
  const x = g.input('x', [-1, 3, 8, 8]);
  const w = g.constant(lc.tensor(new Float32Array(8 * 4 * 9), [8, 4, 3, 3]));
  let err: unknown;
  try {
    g.conv2d(x, w, { name: 'stem' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(lc.LeptonError);
  expect((err as lc.LeptonError).code).toBe('SHAPE_MISMATCH');
  expect((err as Error).message).toMatch(/graph node "stem" \(conv2d\)/);
  expect(() => g.relu(x, { bogus: 1 } as never)).toThrow(/graph node "relu_\d+" \(relu\).*bogus/);
  const other = new lc.Graph().input('y', [1]);
  expect(() => g.relu(other)).toThrow(/must be a value of this graph/);
  expect(() => g.input('x', [1])).toThrow(/unique/);
});

test('compile refuses a graph without outputs and run checks its inputs', async () => {
  const g = new lc.Graph();
  const x = g.input('x', [-1, 4]);
  await expect(lc.compile(g, { devices: ['cpu'] })).rejects.toThrow(/at least one output/);
  g.output('y', g.relu(x));
  const model = await lc.compile(g, { devices: ['cpu'] });
  await expect(model.run({ x: lc.tensor(new Float32Array(6), [2, 3]) })).rejects.toThrow(/shape must be \[-1,4\]/);
  await expect(model.run({})).rejects.toThrow(/input "x" must be a Tensor/);
  const { y } = await model.run({ x: lc.tensor([[-1, 2, -3, 4]]) });
  expect(Array.from(await y!.data())).toEqual([0, 2, 0, 4]);
});

test('compile skips known but unavailable devices with their reason, and refuses unknown names', async () => {
  const g = new lc.Graph();
  g.output('y', g.relu(g.input('x', [2])));
  const absent = lc.devices().find((d) => !d.available);
  if (absent) {
    const model = await lc.compile(g, { devices: [absent.kind, 'cpu'] });
    expect(model.devices).toEqual(['cpu']);
    expect(model.skippedDevices[0]).toMatchObject({ device: absent.id });
  }
  await expect(lc.compile(g, { devices: ['tpu'] })).rejects.toThrow(/devices must name known devices or kinds.*"tpu"/);
});

test('matmul + bias add fuses into a gemm that keeps the precision asked for', async () => {
  const g = new lc.Graph();
  const x = g.input('x', [2, 3]);
  const w = g.constant(lc.tensor(new Float32Array(12).fill(0.5), [3, 4]));
  g.output('y', g.add(g.matmul(x, w, { precision: 'tf32' }), g.constant(lc.tensor([1, 2, 3, 4]))));
  const model = await lc.compile(g, { devices: ['cpu'] });
  expect(model.placement.map((p) => p.op)).toEqual(['gemm']);
  const plan = (model as unknown as { last: { steps: { node?: { attrs: Record<string, unknown> } }[] } }).last;
  expect(plan.steps[0]!.node!.attrs.precision).toBe('tf32');
  const { y } = await model.run({ x: lc.tensor(new Float32Array(6).fill(1), [2, 3]) });
  expect(Array.from(await y!.data())).toEqual([2.5, 3.5, 4.5, 5.5, 2.5, 3.5, 4.5, 5.5]);
});

test('gelu and sigmoid after a conv fuse into its epilogue; the result equals the unfused ops', async () => {
  const w = lc.tensor(Float32Array.from({ length: 4 * 2 * 9 }, (_, i) => Math.sin(i) * 0.5), [4, 2, 3, 3]);
  const xt = lc.tensor(Float32Array.from({ length: 2 * 2 * 6 * 6 }, (_, i) => Math.cos(i)), [2, 2, 6, 6]);
  for (const act of ['gelu', 'sigmoid'] as const) {
    const g = new lc.Graph();
    const conv = g.conv2d(g.input('x', [2, 2, 6, 6]), g.constant(w), { pads: [1, 1, 1, 1] });
    g.output('y', act === 'gelu' ? g.gelu(conv) : g.sigmoid(conv));
    const model = await lc.compile(g, { devices: ['cpu'] });
    expect(model.placement.map((p) => p.op)).toEqual(['conv2d']);
    expect(model.placement[0]!.fused.length).toBe(1);
    const { y } = await model.run({ x: xt });
    const c = lc.conv2d(xt, w, { pads: [1, 1, 1, 1] });
    const ref = await (act === 'gelu' ? lc.gelu(c) : lc.sigmoid(c)).data();
    const got = await y!.data();
    for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-5);
  }
});
