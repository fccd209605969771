// The seed CNN on every available device: builds the graph, compiles it per device (and for all
// devices together), prints placement and images/s, and writes a chrome://tracing file.
// Run with `npm run demo` (uses the built dist/: `npm run build:ts` first).
//   LEPTON_DEMO_BATCH=64 LEPTON_DEMO_SECONDS=3 LEPTON_DEMO_TRACE=path.json (default: $TMPDIR/lepton-seed-cnn.trace.json)
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lc from '../dist/index.js';

if (typeof lc.Graph !== 'function') {
  console.error('dist/ has no graph runtime: run `npm run build:ts` first');
  process.exit(1);
}

const BATCH = Number(process.env.LEPTON_DEMO_BATCH ?? 64);
const SECONDS = Number(process.env.LEPTON_DEMO_SECONDS ?? 3);
const TRACE = process.env.LEPTON_DEMO_TRACE ?? join(tmpdir(), 'lepton-seed-cnn.trace.json');

/** Deterministic weights: xorshift32, scaled like He init. */
function weights(shape, seed) {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((a, b) => a * b, 1);
  const fanIn = shape.length > 1 ? n / shape[0] : n;
  const scale = Math.sqrt(2 / fanIn);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    data[i] = (s / 4294967296 * 2 - 1) * scale;
  }
  return lc.tensor(data, shape);
}

/** The seed CNN's weights (deterministic), by name; shapes as lepton and ONNX use them. */
export function seedWeights() {
  return {
    w1: weights([32, 1, 3, 3], 1), b1: weights([32], 2),
    w2: weights([64, 32, 3, 3], 3), b2: weights([64], 4),
    w3: weights([64, 64, 3, 3], 5), b3: weights([64], 6),
    w4: weights([576, 64], 7), b4: weights([64], 8),
    w5: weights([64, 10], 9), b5: weights([10], 10),
  };
}

/** conv 32 3x3 relu -> maxpool 2 -> conv 64 3x3 relu -> maxpool 2 -> conv 64 3x3 relu -> flatten -> dense 64 relu -> dense 10 softmax */
export function seedCnn(w = seedWeights()) {
  const g = new lc.Graph();
  const c = (t) => g.constant(t);
  const x = g.input('x', [-1, 1, 28, 28]);
  let h = g.relu(g.conv2d(x, c(w.w1), { bias: c(w.b1), name: 'conv1' }));
  h = g.maxPool2d(h, { kernelShape: [2, 2], strides: [2, 2], name: 'pool1' });
  h = g.relu(g.conv2d(h, c(w.w2), { bias: c(w.b2), name: 'conv2' }));
  h = g.maxPool2d(h, { kernelShape: [2, 2], strides: [2, 2], name: 'pool2' });
  h = g.relu(g.conv2d(h, c(w.w3), { bias: c(w.b3), name: 'conv3' }));
  h = g.flatten(h, { name: 'flatten' });
  h = g.relu(g.add(g.matmul(h, c(w.w4), { name: 'dense1' }), c(w.b4)));
  h = g.add(g.matmul(h, c(w.w5), { name: 'dense2' }), c(w.b5));
  g.output('probs', g.softmax(h, { name: 'softmax' }));
  return g;
}

export function images(batch, seed = 42) {
  return weights([batch, 1, 28, 28], seed);
}

/** Images per second over about `seconds` of back-to-back runs (after a warm-up run). */
export async function throughput(model, x, seconds, options = {}) {
  await model.run({ x }, options);
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || runs < 2) {
    const { probs } = await model.run({ x }, options);
    await probs.data();
    probs.dispose();
    runs++;
  }
  return (runs * x.shape[0]) / ((performance.now() - t0) / 1000);
}

async function main() {
  const available = lc.devices().filter((d) => d.available);
  console.log(`devices: ${available.map((d) => `${d.id} (${d.name})`).join(', ')}`);
  for (const d of lc.devices().filter((d) => !d.available)) console.log(`  not available: ${d.id}: ${d.reason}`);
  lc.onFallback((e) => console.log(`  fallback: ${e.node ?? e.op} ${e.from} -> ${e.to}: ${e.reason}`));

  const graph = seedCnn();
  const x = images(BATCH);
  const reference = await (await (await lc.compile(graph, { devices: ['cpu'] })).run({ x })).probs.data();
  const rates = {};
  const configs = [...available.map((d) => [d.id]), ...(available.length > 1 ? [available.map((d) => d.id)] : [])];
  let traced;
  for (const devices of configs) {
    const label = devices.join('+');
    const model = await lc.compile(graph, { devices, shapes: { x: [BATCH, 1, 28, 28] } });
    console.log(`\n== ${label}: batch ${BATCH}`);
    if (devices.length === 1 || label === configs.at(-1).join('+')) {
      console.log(model.passes.map((p) => `  pass ${p.pass} ${p.name}: ${p.detail}`).join('\n'));
      for (const p of model.placement) {
        console.log(`  ${p.node.padEnd(10)} ${p.op.padEnd(10)} ${p.device.padEnd(9)} ${p.fused.length ? `[+${p.fused.join(', ')}] ` : ''}${p.reason}`);
      }
      for (const [dev, m] of Object.entries(model.memory)) {
        console.log(`  memory ${dev}: planned peak ${(m.peakBytes / 1e6).toFixed(2)} MB vs ${(m.totalBytes / 1e6).toFixed(2)} MB for all ${m.buffers} buffers (${m.slots} slots)`);
      }
    }
    const got = await (await model.run({ x })).probs.data();
    const err = got.reduce((w, v, i) => Math.max(w, Math.abs(v - reference[i])), 0);
    const rate = await throughput(model, x, SECONDS);
    rates[label] = rate;
    console.log(`  ${rate.toFixed(0)} images/s (max |diff| vs cpu ${err.toExponential(1)})`);
    traced = model;
    if (devices.length > 1) {
      const split = await throughput(model, x, SECONDS, { split: 'batch' });
      rates[`${label} split`] = split;
      const sum = devices.reduce((s, d) => s + (rates[d] ?? 0), 0);
      console.log(`  split: 'batch' ${split.toFixed(0)} images/s (sum of the devices alone: ${sum.toFixed(0)})`);
      // For the trace: a fresh model's first split run puts rows on every device.
      traced = await lc.compile(graph, { devices, shapes: { x: [BATCH, 1, 28, 28] } });
      await traced.run({ x }, { split: 'batch' });
    }
  }
  const profile = traced.profile();
  profile.toTrace(TRACE);
  console.log(`\nlast run: ${profile.nodes.length} steps, ${profile.totalMs.toFixed(1)} ms, ${profile.bytesMoved} bytes moved; trace written to ${TRACE} (open in chrome://tracing or ui.perfetto.dev)`);
  console.log('(timings on a shared, loaded machine are noisy)');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
