// WebGPU timing helpers (issue 3): matmul and conv2d on webgpu:0, inputs resident on the device,
// each timed call ending in a readback of the output (so GPU work is included). The suite with
// peers (tfjs-webgpu, onnxruntime-node's WebGPU EP) is bench/webgpu.js (npm run bench:webgpu).
// Usage: npm run build:ts && node bench/webgpu.bench.js [--json]
import { parseArgs } from 'node:util';
import * as lc from '../dist/index.js';
import { timeAsync } from './timing.js';

const DEVICE = 'webgpu:0';

function randomData(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

function deviceTensor(shape, seed) {
  return lc.tensor(randomData(shape.reduce((a, b) => a * b, 1), seed), shape, { device: DEVICE });
}

/** One op timed end to end (dispatch + wait); returns { seconds, gflops }. */
export async function timeWebGpu(run, inputs, flops, options) {
  const once = async () => {
    const y = run(inputs);
    await y.data();
    y.dispose();
  };
  const seconds = await timeAsync(once, options);
  return { seconds, gflops: flops / seconds / 1e9 };
}

export async function benchMatmul(M, K, N, options) {
  const inputs = { a: deviceTensor([M, K], 1), b: deviceTensor([K, N], 2) };
  const r = await timeWebGpu((t) => lc.matmul(t.a, t.b), inputs, 2 * M * N * K, options);
  return { name: `matmul ${M}x${K}x${N}`, ...r };
}

export async function benchConv2d([N, C, H, W], [M, KH, KW], { pad = 0, groups = 1 } = {}, options) {
  const inputs = { x: deviceTensor([N, C, H, W], 3), w: deviceTensor([M, C / groups, KH, KW], 4) };
  const OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  const flops = 2 * N * M * OH * OW * (C / groups) * KH * KW;
  const r = await timeWebGpu((t) => lc.conv2d(t.x, t.w, { pads: [pad, pad, pad, pad], groups }), inputs, flops, options);
  return { name: `conv2d ${N}x${C}x${H}x${W} k${KH}x${KW} M${M} g${groups}`, ...r };
}

export async function webgpuCases(options = { minReps: 3, maxReps: 10, budgetSeconds: 2 }) {
  const info = lc.devices().find((d) => d.kind === 'webgpu');
  if (!info?.available) return { device: info, results: [], skipped: info?.reason ?? 'no webgpu device' };
  await lc.warmup({ device: DEVICE });
  const results = [
    await benchMatmul(1024, 1024, 1024, options),
    await benchMatmul(256, 4096, 256, options),
    await benchConv2d([1, 64, 56, 56], [64, 3, 3], { pad: 1 }, options),
    await benchConv2d([1, 64, 56, 56], [64, 3, 3], { pad: 1, groups: 64 }, options),
  ];
  return { device: { id: info.id, name: info.name, backend: info.backend }, results };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false } } });
  const out = await webgpuCases();
  if (values.json) console.log(JSON.stringify(out, null, 2));
  else {
    console.log(`device: ${JSON.stringify(out.device)}${out.skipped ? ` (skipped: ${out.skipped})` : ''}`);
    for (const r of out.results) console.log(`${r.name.padEnd(44)} ${(r.seconds * 1e3).toFixed(2).padStart(10)} ms ${r.gflops.toFixed(2).padStart(8)} GFLOP/s`);
  }
}
