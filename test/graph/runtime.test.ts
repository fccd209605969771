// The graph runtime on fake devices (no hardware): fusion, placement, fallback, failures,
// concurrency, memory reuse, priorities and batch split.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lc from '../../src/index.js';
import { randomArray } from '../helpers/random.js';
import { FakeDevice } from './fake.js';
import { expectNear, input, smallCnn } from './models.js';

process.env.LEPTON_CACHE_DIR = mkdtempSync(join(tmpdir(), 'lepton-cal-'));

const fast = new FakeDevice('fake:0', { flopsPerSec: 1e15 }).register();
const slow = new FakeDevice('fake:1', { flopsPerSec: 1e3 }).register();
afterEach(() => {
  fast.reset();
  slow.reset();
});
afterAll(() => {
  fast.unregister();
  slow.unregister();
});

test('a compiled CNN on the CPU matches the eager ops; relu, bias add, matmul+add and the 2x2 pool are fused', async () => {
  const { graph, eager } = smallCnn();
  const model = await lc.compile(graph, { devices: ['cpu'] });
  const x = input(3);
  const { y } = await model.run({ x });
  await expectNear(y!, eager(x));
  expect(model.passes.map((p) => p.name)).toEqual(['fusion', 'placement', 'schedule', 'memory plan']);
  const ops = model.placement.map((p) => p.op);
  expect(ops).toEqual(['conv2dMaxPool', 'conv2d', 'flatten', 'gemm', 'softmax']);
  expect(model.placement[0]!.fused).toEqual(['relu_1', 'maxPool2d_2']);
  expect(model.placement[1]!.fused.length).toBe(2); // add + relu
  expect(model.placement.every((p) => p.device === 'cpu')).toBe(true);
  // a second batch size gets its own plan
  const x5 = input(5, 11);
  await expectNear((await model.run({ x: x5 })).y!, eager(x5));
});

test('batchNorm is folded into a conv with constant weights', async () => {
  const w = lc.tensor(randomArray(4 * 2 * 9, 21), [4, 2, 3, 3]);
  const p = [22, 23, 24, 25].map((s, i) => lc.tensor(randomArray(4, s, i === 3 ? 0.5 : -1, i === 3 ? 2 : 1), [4]));
  const g = new lc.Graph();
  const x = g.input('x', [-1, 2, 6, 6]);
  g.output('y', g.batchNorm(g.conv2d(x, g.constant(w)), ...(p.map((t) => g.constant(t)) as [lc.Value, lc.Value, lc.Value, lc.Value])));
  const model = await lc.compile(g, { devices: ['cpu'] });
  expect(model.placement.map((e) => e.op)).toEqual(['conv2d']);
  const xt = lc.tensor(randomArray(2 * 72, 26), [2, 2, 6, 6]);
  await expectNear((await model.run({ x: xt })).y!, lc.batchNorm(lc.conv2d(xt, w), p[0]!, p[1]!, p[2]!, p[3]!), 1e-4);
});

test('placement follows capability and cost, and says why', async () => {
  const { graph, eager } = smallCnn();
  // fast device that only has matmul-like kernels: those go there, the rest stays on the CPU
  const only = new FakeDevice('fake:2', { flopsPerSec: 1e15, ops: ['gemm', 'matmul', 'conv2d'] }).register();
  try {
    const model = await lc.compile(graph, { devices: ['fake:2', 'cpu'] });
    const where = Object.fromEntries(model.placement.map((p) => [p.op + p.node, p.device]));
    expect(model.placement.filter((p) => p.device === 'fake:2').map((p) => p.op).sort()).toEqual(['conv2d', 'conv2d', 'flatten', 'gemm']);
    expect(model.placement.find((p) => p.op === 'flatten')!.reason).toMatch(/view of its input/);
    expect(model.placement.find((p) => p.op === 'softmax')!.device).toBe('cpu');
    expect(model.placement.find((p) => p.op === 'softmax')!.reason).toMatch(/only capable device.*no fake kernel for softmax/);
    expect(Object.keys(where).length).toBe(6);
    const x = input(2);
    const { y } = await model.run({ x });
    await expectNear(y!, eager(x));
    expect(only.executed).toEqual(['conv2d', 'conv2d', 'gemm']);
    // transfers appear where devices meet
    expect(model.profile().nodes.filter((n) => n.kind === 'transfer').length).toBeGreaterThan(0);
  } finally {
    only.unregister();
  }
  // a very slow device loses to the CPU on cost; a pin still wins
  const model = await lc.compile(graph, { devices: ['fake:1', 'cpu'] });
  expect(model.placement.filter((p) => p.op !== 'flatten').every((p) => p.device === 'cpu' && /fastest estimate/.test(p.reason))).toBe(true);
  const g = new lc.Graph();
  const a = g.input('a', [2, 2]);
  g.output('y', g.relu(a, { device: 'fake:1' }));
  const pinned = await lc.compile(g, { devices: ['fake:1', 'cpu'] });
  expect(pinned.placement[0]).toMatchObject({ device: 'fake:1', reason: 'pinned to fake:1' });
});

test('an op no selected device supports falls back to the CPU, with an event', async () => {
  const gpuLike = new FakeDevice('fake:3', { ops: ['conv2d', 'maxPool2d', 'gemm', 'flatten'] }).register();
  try {
    const { graph, eager } = smallCnn();
    const events: lc.FallbackEvent[] = [];
    const off = lc.onFallback((e) => events.push(e));
    const model = await lc.compile(graph, { devices: ['fake:3'] });
    off();
    const soft = model.placement.find((p) => p.op === 'softmax')!;
    expect(soft.device).toBe('cpu');
    expect(soft.reason).toMatch(/no selected device supports it.*fake:3: no fake kernel for softmax/);
    expect(events.some((e) => e.kind === 'unsupported' && e.node === soft.node)).toBe(true);
    const x = input(2);
    await expectNear((await model.run({ x })).y!, eager(x));
  } finally {
    gpuLike.unregister();
  }
});

test('a failure injected at each node in turn still gives correct results, and inputs stay intact', async () => {
  const { graph, eager } = smallCnn();
  const model = await lc.compile(graph, { devices: ['fake:0', 'cpu'] });
  expect(model.placement.filter((p) => p.op !== 'flatten').every((p) => p.device === 'fake:0')).toBe(true);
  const x = input(2);
  const before = Array.from(await x.data());
  const expected = eager(x);
  const kernels = model.placement.filter((p) => p.op !== 'flatten').length;
  for (let at = 1; at <= kernels; at++) {
    fast.reset();
    fast.failAt = at;
    const events: lc.FallbackEvent[] = [];
    const off = model.on('fallback', (e) => events.push(e));
    const { y } = await model.run({ x });
    off();
    await expectNear(y!, expected);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'device-failure', from: 'fake:0', to: 'cpu', code: 'DEVICE_ERROR' });
    expect(events[0]!.replaced!.length).toBeGreaterThan(0);
    expect(model.profile().nodes.some((n) => n.kind === 'fallback')).toBe(true);
    expect(Array.from(await x.data())).toEqual(before);
  }
  // every code that means "the device failed" is handled the same way
  for (const code of ['OUT_OF_MEMORY', 'DEVICE_LOST', 'KERNEL_ERROR'] as const) {
    fast.reset();
    fast.failAt = 2;
    fast.failCode = code;
    await expectNear((await model.run({ x })).y!, expected);
  }
  fast.failCode = 'DEVICE_ERROR';
});

test('a device that keeps failing is marked unhealthy and left out of placement', async () => {
  const { graph, eager } = smallCnn();
  const model = await lc.compile(graph, { devices: ['fake:0', 'cpu'] });
  const events: lc.FallbackEvent[] = [];
  model.on('fallback', (e) => events.push(e));
  fast.failAlways = true;
  const x = input(1);
  for (let i = 0; i < 3; i++) await expectNear((await model.run({ x })).y!, eager(x));
  expect(events.filter((e) => e.kind === 'unhealthy')).toHaveLength(1);
  const executedBefore = fast.executed.length;
  await expectNear((await model.run({ x })).y!, eager(x));
  expect(model.placement.every((p) => p.device === 'cpu')).toBe(true);
  expect(fast.executed.length).toBe(executedBefore);
  fast.reset(); // markHealthy: back in placement
  await model.run({ x });
  expect(model.placement.some((p) => p.device === 'fake:0')).toBe(true);
});

test('independent nodes on two devices overlap in time', async () => {
  const a = new FakeDevice('fake:4', { delayMs: 60 }).register();
  const b = new FakeDevice('fake:5', { delayMs: 60 }).register();
  try {
    const g = new lc.Graph();
    const x = g.input('x', [8, 8]);
    const w = g.constant(lc.tensor(randomArray(64, 31), [8, 8]));
    const left = g.matmul(x, w, { device: 'fake:4', name: 'left' });
    const right = g.matmul(w, x, { device: 'fake:5', name: 'right' });
    g.output('y', g.add(left, right, { device: 'fake:4' }));
    const model = await lc.compile(g, { devices: ['fake:4', 'fake:5', 'cpu'] });
    const xt = lc.tensor(randomArray(64, 32), [8, 8]);
    const t0 = performance.now();
    const { y } = await model.run({ x: xt });
    const wall = performance.now() - t0;
    await expectNear(y!, lc.add(lc.matmul(xt, model['graph'].nodes[0]!.inputs[1]!.constant!), lc.matmul(model['graph'].nodes[0]!.inputs[1]!.constant!, xt)));
    const file = join(process.env.LEPTON_CACHE_DIR!, 'trace.json');
    model.profile().toTrace(file);
    const trace = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: { name: string; ts: number; dur: number; ph: string; args: { name?: string } }[] };
    expect(trace.traceEvents.filter((e) => e.ph === 'M').map((e) => e.args.name).sort()).toEqual(['fake:4', 'fake:5']);
    const l = trace.traceEvents.find((e) => e.name === 'left')!, r = trace.traceEvents.find((e) => e.name === 'right')!;
    expect(Math.min(l.ts + l.dur, r.ts + r.dur) - Math.max(l.ts, r.ts)).toBeGreaterThan(30_000); // microseconds of overlap
    expect(wall).toBeLessThan(3 * 60 + 100); // not three kernels back to back... plus slack for a loaded machine
  } finally {
    a.unregister();
    b.unregister();
  }
});

test('the memory plan reuses buffers: planned peak < sum of all buffers, and results stay correct', async () => {
  const g = new lc.Graph();
  const x = g.input('x', [-1, 256]);
  let h = x;
  for (let i = 0; i < 8; i++) h = g.tanh(g.mul(h, 0.9));
  g.output('y', h);
  const model = await lc.compile(g, { devices: ['cpu'] });
  const xt = lc.tensor(randomArray(4 * 256, 41), [4, 256]);
  const { y } = await model.run({ x: xt });
  const mem = model.memory['cpu']!;
  expect(mem.buffers).toBe(16);
  expect(mem.peakBytes).toBeLessThan(mem.totalBytes);
  expect(mem.slots).toBeLessThanOrEqual(3);
  let e = xt;
  for (let i = 0; i < 8; i++) e = lc.tanh(lc.mul(e, 0.9));
  await expectNear(y!, e, 1e-6);
  // two runs at once each get their own arenas
  const x2 = lc.tensor(randomArray(4 * 256, 42), [4, 256]);
  const [r1, r2] = await Promise.all([model.run({ x: xt }), model.run({ x: x2 })]);
  let e2 = x2;
  for (let i = 0; i < 8; i++) e2 = lc.tanh(lc.mul(e2, 0.9));
  await expectNear(r1.y!, e, 1e-6);
  await expectNear(r2.y!, e2, 1e-6);
});

test('queued runs are taken highest priority first', async () => {
  const dev = new FakeDevice('fake:6', { delayMs: 40 }).register();
  try {
    const g = new lc.Graph();
    const x = g.input('x', [4]);
    g.output('y', g.relu(x));
    const model = await lc.compile(g, { devices: ['fake:6'] });
    const xt = lc.tensor([1, -2, 3, -4]);
    const order: string[] = [];
    const go = (label: string, priority: number) => model.run({ x: xt }, { priority }).then(() => order.push(label));
    const first = go('first', 0); // occupies the device
    await new Promise((r) => setTimeout(r, 5));
    await Promise.all([first, go('low', 1), go('high', 5), go('mid', 3)]);
    expect(order).toEqual(['first', 'high', 'mid', 'low']);
  } finally {
    dev.unregister();
  }
});

test('split: batch divides the batch by speed, runs the parts concurrently, and equals the unsplit run', async () => {
  const a = new FakeDevice('fake:7', { flopsPerSec: 3e9, delayMs: 5 }).register();
  const b = new FakeDevice('fake:8', { flopsPerSec: 1e9, delayMs: 5 }).register();
  try {
    const { graph, eager } = smallCnn();
    const model = await lc.compile(graph, { devices: ['fake:7', 'fake:8'] });
    const x = input(16);
    const whole = (await model.run({ x })).y!;
    const { y } = await model.run({ x }, { split: 'batch' });
    await expectNear(y!, whole, 1e-6);
    await expectNear(y!, eager(x));
    const rows = (d: FakeDevice) => d.executed.length;
    expect(rows(a)).toBeGreaterThan(0);
    expect(rows(b)).toBeGreaterThan(0);
    const devicesUsed = new Set(model.profile().nodes.map((n) => n.device));
    expect(devicesUsed.has('fake:7') && devicesUsed.has('fake:8')).toBe(true);
  } finally {
    a.unregister();
    b.unregister();
  }
});

test('split: a device worth less than a sixteenth of the batch is left out, and parts are whole sixteenths', async () => {
  const fast = new FakeDevice('fake:10', { flopsPerSec: 1e12 }).register();
  const slow = new FakeDevice('fake:11', { flopsPerSec: 1e10 }).register();
  try {
    const { graph, eager } = smallCnn();
    const model = await lc.compile(graph, { devices: ['fake:10', 'fake:11'] });
    const x = input(32);
    const { y } = await model.run({ x }, { split: 'batch' });
    await expectNear(y!, eager(x));
    expect(slow.executed.length).toBe(0);
    expect(fast.executed.length).toBeGreaterThan(0);
  } finally {
    fast.unregister();
    slow.unregister();
  }
});

test('eager ops run through the same device queues', async () => {
  const dev = new FakeDevice('fake:9', { delayMs: 30 }).register();
  try {
    const x = lc.tensor([1, -2, 3, -4], [4], { device: 'fake:9' });
    const y = lc.relu(x);
    const z = lc.neg(x);
    const t0 = performance.now();
    await Promise.all([y.ready(), z.ready()]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55); // one after the other on the device's queue
    expect(Array.from(await y.data())).toEqual([1, 0, 3, 0]);
  } finally {
    dev.unregister();
  }
});

test('inputs may be disposed as soon as run() was called', async () => {
  const { graph, eager } = smallCnn();
  const model = await lc.compile(graph, { devices: ['fake:0', 'cpu'] });
  const x = input(2);
  const expected = await eager(x).data();
  const copy = lc.tensor(await x.data(), [...x.shape]);
  const pending = model.run({ x: copy });
  copy.dispose();
  const { y } = await pending;
  const got = await y!.data();
  expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - expected[i]!)))).toBeLessThan(1e-4);
});
