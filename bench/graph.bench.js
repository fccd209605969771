// Graph runtime benchmarks (uses dist/: `npm run build:ts` first).
//   1. per-op overhead: a compiled chain of 100 tiny ops vs onnxruntime-node's per-node overhead, same graph
//   2. seed CNN, batch 64, CPU: images/s vs onnxruntime-node CPU (same weights, same thread count)
//   3. CPU+WebGPU split: 'batch' throughput vs the sum of each device on its own (interleaved rounds)
// Writes bench/results/graph.json. Timings on a shared machine are noisy: compare within one run.
import { mkdirSync, writeFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import * as lc from '../dist/index.js';
import { ONNX_SCHEMA } from '../dist/onnx/schema.js';
import { registerBackend, unregisterBackend } from '../dist/runtime/devices.js';
import { images, seedCnn, seedWeights, throughput } from '../demo/seed-cnn.js';
import { timeAsync } from './timing.js';

/** A device whose kernels do nothing: measures the runtime's own per-step cost. */
const nullDevice = {
  id: 'null:0',
  info: () => ({ id: 'null:0', kind: 'null', name: 'no-op device', available: true, profile: { flopsPerSec: 1e18, bytesPerSec: 1e18, launchSec: 1e-9, transferBytesPerSec: 1e18, transferLatencySec: 1e-9 } }),
  supports: () => ({ ok: true }),
  allocate: (dtype, length) => ({ device: 'null:0', dtype, length, data: new Float32Array(length), ready: Promise.resolve(), release() {} }),
  write: (s, data) => s.data.set(data),
  read: async (t) => t.view().data.slice(),
  execute: () => undefined,
};

const ort = await import('onnxruntime-node').then((m) => m.default ?? m).catch(() => undefined);
const ModelProto = protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
const threads = Number(lc.devices().find((d) => d.id === 'cpu')?.threads ?? 1);
const SECONDS = Number(process.env.LEPTON_BENCH_SECONDS ?? 3);

/** The q-quantile (0..1) of v, by rank (q = 0.5: the median). */
const quantile = (v, q) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))];

const valueInfo = (name, shape) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => (d < 0 ? { dimParam: 'N' } : { dimValue: d })) } } } });
const attr = (name, v) => (Array.isArray(v) ? { name, type: 7, ints: v } : Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v });

/** A multi-node ONNX model: nodes [{ op, inputs, outputs, attrs }], initializers { name: { data, shape } }. */
function onnxModel({ nodes, inputs, outputs, initializers }) {
  return ModelProto.encode(ModelProto.fromObject({
    irVersion: 8, producerName: 'lepton-bench', opsetImport: [{ domain: '', version: 18 }],
    graph: {
      name: 'bench',
      node: nodes.map((n, i) => ({ name: `n${i}`, opType: n.op, input: n.inputs, output: n.outputs, attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)) })),
      input: inputs.map(([name, shape]) => valueInfo(name, shape)),
      output: outputs.map(([name, shape]) => valueInfo(name, shape)),
      initializer: Object.entries(initializers).map(([name, { data, shape }]) => ({ name, dims: shape, dataType: 1, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) })),
    },
  })).finish();
}

async function ortSession(bytes) {
  return ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

const results = { threads, note: 'shared 2-core machine under load from other builds: noisy', cases: {} };

// 1. per-op overhead: x [1,16] -> 100 alternating add/mul with constants
{
  const N = 100;
  const g = new lc.Graph();
  const c1 = lc.tensor(new Float32Array(16).fill(0.5), [16]);
  const c2 = lc.tensor(new Float32Array(16).fill(0.99), [16]);
  let h = g.input('x', [1, 16]);
  const nodes = [];
  for (let i = 0; i < N; i++) {
    const op = i % 2 ? 'mul' : 'add';
    h = g[op](h, g.constant(i % 2 ? c2 : c1));
    nodes.push({ op: i % 2 ? 'Mul' : 'Add', inputs: [i ? `h${i - 1}` : 'x', i % 2 ? 'c2' : 'c1'], outputs: [i === N - 1 ? 'y' : `h${i}`] });
  }
  g.output('y', h);
  const model = await lc.compile(g, { devices: ['cpu'] });
  const x = lc.tensor(new Float32Array(16).fill(1), [1, 16]);
  const lepton = await timeAsync(async () => {
    const { y } = await model.run({ x });
    y.dispose();
  }, { budgetSeconds: SECONDS, maxReps: 2000 });
  const eager = await timeAsync(async () => {
    let t = x;
    for (let i = 0; i < N; i++) t = i % 2 ? lc.mul(t, c2) : lc.add(t, c1);
    await t.ready();
  }, { budgetSeconds: SECONDS, maxReps: 2000 });
  // The runtime alone: the same graph on a device whose kernels do nothing.
  registerBackend(nullDevice);
  const nullModel = await lc.compile(g, { devices: ['null:0'] });
  const runtimeOnly = await timeAsync(async () => {
    const { y } = await nullModel.run({ x });
    y.dispose();
  }, { budgetSeconds: SECONDS, maxReps: 2000 });
  unregisterBackend('null:0');
  const row = { ops: N, leptonUsPerOp: (lepton / N) * 1e6, eagerUsPerOp: (eager / N) * 1e6, runtimeOnlyUsPerOp: (runtimeOnly / N) * 1e6 };
  if (ort) {
    const s = await ortSession(onnxModel({ nodes, inputs: [['x', [1, 16]]], outputs: [['y', [1, 16]]], initializers: { c1: { data: new Float32Array(16).fill(0.5), shape: [16] }, c2: { data: new Float32Array(16).fill(0.99), shape: [16] } } }));
    const feeds = { x: new ort.Tensor('float32', new Float32Array(16).fill(1), [1, 16]) };
    const t = await timeAsync(() => s.run(feeds), { budgetSeconds: SECONDS, maxReps: 2000 });
    row.ortUsPerOp = (t / N) * 1e6;
    row.ratioToOrt = row.leptonUsPerOp / row.ortUsPerOp;
  }
  results.cases.perOpOverhead = row;
  console.log(`per-op overhead (100 tiny ops): lepton compiled ${row.leptonUsPerOp.toFixed(1)} us/op (runtime alone, no-op kernels: ${row.runtimeOnlyUsPerOp.toFixed(1)}), eager ${row.eagerUsPerOp.toFixed(1)} us/op` +
    (row.ortUsPerOp ? `, onnxruntime-node ${row.ortUsPerOp.toFixed(1)} us/op (lepton/ort ${row.ratioToOrt.toFixed(2)}x)` : ''));
}

// 2. seed CNN, batch 64, CPU
const BATCH = 64;
const w = seedWeights();
const x = images(BATCH);
{
  const model = await lc.compile(seedCnn(w), { devices: ['cpu'], shapes: { x: [BATCH, 1, 28, 28] } });
  const runLepton = async () => {
    const { probs } = await model.run({ x });
    await probs.data();
    probs.dispose();
  };
  let lepton = await throughput(model, x, ort ? SECONDS / 10 : SECONDS); // with a peer: the warm-up, re-measured below
  const row = { batch: BATCH, leptonImagesPerSec: lepton };
  if (ort) {
    const init = {};
    for (const [k, t] of Object.entries(w)) init[k] = { data: await t.data(), shape: [...t.shape] };
    const nodes = [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'] }, { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['p1', 'w2', 'b2'], outputs: ['c2'] }, { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'MaxPool', inputs: ['r2'], outputs: ['p2'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['p2', 'w3', 'b3'], outputs: ['c3'] }, { op: 'Relu', inputs: ['c3'], outputs: ['r3'] },
      { op: 'Flatten', inputs: ['r3'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'w4', 'b4'], outputs: ['d1'] }, { op: 'Relu', inputs: ['d1'], outputs: ['r4'] },
      { op: 'Gemm', inputs: ['r4', 'w5', 'b5'], outputs: ['d2'] }, { op: 'Softmax', inputs: ['d2'], outputs: ['probs'] },
    ];
    const s = await ortSession(onnxModel({ nodes, inputs: [['x', [-1, 1, 28, 28]]], outputs: [['probs', [-1, 10]]], initializers: init }));
    const feeds = { x: new ort.Tensor('float32', await x.data(), [BATCH, 1, 28, 28]) };
    const ref = (await s.run(feeds)).probs.data;
    const mine = await (await model.run({ x })).probs.data();
    row.maxAbsDiffVsOrt = mine.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i])), 0);
    // Interleaved rounds, the same statistic for both (median seconds per call): the load on a
    // shared machine changes within seconds, so back-to-back windows would compare different loads.
    // Many short rounds (~75 ms each with the default 3 s) keep each pair of rounds under one load.
    const ROUNDS = 40;
    const ours = [], theirs = [], ratios = [];
    for (let r = 0; r < ROUNDS; r++) {
      const a = await timeAsync(runLepton, { budgetSeconds: SECONDS / ROUNDS, maxReps: 200 });
      const b = await timeAsync(() => s.run(feeds), { budgetSeconds: SECONDS / ROUNDS, maxReps: 200 });
      ours.push(a);
      theirs.push(b);
      ratios.push(b / a);
    }
    row.leptonImagesPerSec = lepton = BATCH / quantile(ours, 0.5);
    row.ortImagesPerSec = BATCH / quantile(theirs, 0.5);
    row.ratioToOrt = quantile(ratios, 0.5);
    row.ratioRange = [Math.min(...ratios), Math.max(...ratios)];
    row.ratioQuartiles = [quantile(ratios, 0.25), quantile(ratios, 0.75)];
    row.rounds = ROUNDS;
  }
  results.cases.seedCnnCpu = row;
  console.log(`seed CNN batch ${BATCH} cpu: lepton ${lepton.toFixed(0)} images/s` +
    (row.ortImagesPerSec ? `, onnxruntime-node ${row.ortImagesPerSec.toFixed(0)} images/s (lepton/ort ${row.ratioToOrt.toFixed(2)}x, median of ${row.rounds} interleaved rounds, quartiles ${row.ratioQuartiles.map((q) => q.toFixed(2)).join('-')}, range ${row.ratioRange[0].toFixed(2)}-${row.ratioRange[1].toFixed(2)}; max |diff| ${row.maxAbsDiffVsOrt.toExponential(1)})` : ''));
}

// 3. CPU + WebGPU batch split vs each device alone
{
  const gpu = lc.devices().find((d) => d.kind === 'webgpu' && d.available);
  if (!gpu) {
    results.cases.split = { skipped: 'no WebGPU device' };
    console.log('split: skipped (no WebGPU device)');
  } else {
    const graph = seedCnn(w);
    const model = (devices) => lc.compile(graph, { devices, shapes: { x: [BATCH, 1, 28, 28] } });
    const [mCpu, mWeb, mSplit] = [await model(['cpu']), await model([gpu.id]), await model(['cpu', gpu.id])];
    // Warm-ups (the split model also learns each device's speed), then interleaved rounds as above.
    await throughput(mCpu, x, 0.2);
    await throughput(mWeb, x, 0.2);
    await throughput(mSplit, x, SECONDS / 3, { split: 'batch' });
    const ROUNDS = 6, per = SECONDS / (2 * ROUNDS);
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const c = await throughput(mCpu, x, per), g = await throughput(mWeb, x, per), sp = await throughput(mSplit, x, per, { split: 'batch' });
      rounds.push({ c, g, sp, f: sp / (c + g) });
    }
    const median = (v) => quantile(v, 0.5);
    const cpu = median(rounds.map((r) => r.c)), web = median(rounds.map((r) => r.g)), split = median(rounds.map((r) => r.sp));
    const fractions = rounds.map((r) => r.f);
    results.cases.split = { device: gpu.name, cpuImagesPerSec: cpu, webgpuImagesPerSec: web, splitImagesPerSec: split, fractionOfSum: median(fractions), fractionRange: [Math.min(...fractions), Math.max(...fractions)] };
    console.log(`split: cpu ${cpu.toFixed(0)} + ${gpu.id} ${web.toFixed(0)} = ${(cpu + web).toFixed(0)} images/s alone; split 'batch' ${split.toFixed(0)} images/s (${(100 * results.cases.split.fractionOfSum).toFixed(0)}% of the sum: median of ${ROUNDS} interleaved rounds, range ${results.cases.split.fractionRange.map((f) => (100 * f).toFixed(0)).join('-')}%)`);
  }
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/graph.json', JSON.stringify(results, null, 1));
console.log('wrote bench/results/graph.json (timings are noisy on this shared machine)');
