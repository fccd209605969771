// npm run bench: lepton-compute's CPU kernels beside numpy/OpenBLAS and onnxruntime-node, measured
// in the same run, plus this machine's measured peak FLOP/s and read bandwidth.
// Writes bench/results/cpu.{json,md,svg} and docs/bench-cpu.svg (the chart the README shows).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import * as lc from '../dist/index.js';
import { native } from '../dist/native.js';
import { cpuCases } from './cases.js';
import { barChartSvg } from './chart.js';
import { startNumpy } from './peers/numpy.js';
import { ortError, ortVersion, timeOrt } from './peers/ort.js';
import { timeAsync } from './timing.js';
import { randomData } from './data.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    filter: { type: 'string' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
    'no-peers': { type: 'boolean', default: false },
  },
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

const cases = cpuCases.filter((c) => !args.filter || new RegExp(args.filter, 'i').test(c.name));
const cpu = lc.devices().find((d) => d.id === 'cpu');
if (!native) console.warn(`warning: native addon not loaded (${cpu.reason}); timing the TypeScript reference kernels`);
const threads = cpu.threads;

console.log(`lepton-compute CPU bench — ${cpu.name}, ${threads} threads, ISA ${cpu.isa}, kernels: ${cpu.kernels} (${cpu.binary})`);
const peakGflops = native ? native.probePeakGflops(0.5) : undefined;
let readGbps;
if (native) {
  const big = new Float32Array(64 * 1024 * 1024); // 256 MiB: far beyond every cache
  big.fill(1);
  readGbps = native.probeReadGbps(big, 4);
}
console.log(`measured peak: ${peakGflops?.toFixed(1) ?? 'n/a'} GFLOP/s (FMA, all threads), read bandwidth ${readGbps?.toFixed(1) ?? 'n/a'} GB/s`);

const numpy = args['no-peers'] ? { error: 'peers disabled' } : await startNumpy();
console.log(`peers: ${numpy.error ?? numpy.version}; ${args['no-peers'] ? 'onnxruntime disabled' : ortError ?? ortVersion} (CPU EP, ${threads} threads)`);

const bar = new cliProgress.SingleBar({ format: 'bench [{bar}] {value}/{total} {case}', stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic);
bar.start(cases.length, 0, { case: '' });
const rows = [];
for (const c of cases) {
  bar.update({ case: c.name });
  const data = Object.fromEntries(Object.entries(c.inputs).map(([k, shape], i) => [k, { data: randomData(shape, 17 + i), shape }]));
  const tensors = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, lc.tensor(v.data, v.shape)]));
  // Each engine starts on an idle machine: peers' thread pools spin for a while after their runs
  // (OpenBLAS, onnxruntime), which would otherwise steal the cores from whoever runs next.
  await settle();
  const ours = await timeAsync(async () => {
    const y = c.run(lc, tensors);
    await y.ready();
    y.dispose();
  });
  if (!args['no-peers']) await settle();
  const ort = args['no-peers'] ? undefined : await timeOrt(c.ort, data, threads).catch((e) => (console.warn(`\nort ${c.name}: ${e.message}`), undefined));
  // Peers run right after ours on the same inputs' shapes, so all three see the same machine state.
  if (c.numpy && numpy.time) await settle();
  const np = c.numpy && numpy.time ? await numpy.time(c.numpy) : undefined;
  const rate = (sec) => (sec === undefined ? undefined : c.work / sec / 1e9);
  const oursRate = rate(ours);
  const peak = c.unit === 'GB/s' ? readGbps : peakGflops;
  rows.push({
    group: c.group, name: c.name, unit: c.unit, seconds: ours,
    values: { 'lepton-compute': oursRate, numpy: rate(np), 'onnxruntime-node': rate(ort) },
    vsNumpy: np ? np / ours : undefined, vsOrt: ort ? ort / ours : undefined,
    ofPeak: peak ? oursRate / peak : undefined,
  });
  Object.values(tensors).forEach((t) => t.dispose());
  bar.increment();
}
bar.stop();
numpy.close?.();

const fmt = (v, d = 1) => (v === undefined ? '—' : v.toFixed(d));
const header = '| case | lepton | numpy | × numpy | onnxruntime | × ort | % peak |\n|---|---:|---:|---:|---:|---:|---:|';
const lines = rows.map((r) =>
  `| ${r.name} | ${fmt(r.values['lepton-compute'])} ${r.unit} | ${fmt(r.values.numpy)} | ${fmt(r.vsNumpy, 2)} | ${fmt(r.values['onnxruntime-node'])} | ${fmt(r.vsOrt, 2)} | ${r.ofPeak === undefined ? '—' : (100 * r.ofPeak).toFixed(0) + '%'} |`);
const table = [header, ...lines].join('\n');
console.log(`\n${table}\n\n× numpy / × ort: their time ÷ ours (> 1 means lepton is faster). % peak: of the measured FMA peak (GFLOP/s rows) or read bandwidth (GB/s rows).`);

mkdirSync(args.out, { recursive: true });
const meta = { date: new Date().toISOString(), cpu: cpu.name, threads, isa: cpu.isa, kernels: cpu.kernels, peakGflops, readGbps, numpy: numpy.version ?? numpy.error, ort: ortVersion ?? ortError };
writeFileSync(join(args.out, 'cpu.json'), JSON.stringify({ meta, rows }, null, 2));
writeFileSync(join(args.out, 'cpu.md'), `${table}\n`);
const svg = barChartSvg(rows, `lepton-compute CPU bench (${threads} threads, ${cpu.isa}) — higher is better`);
writeFileSync(join(args.out, 'cpu.svg'), svg);
if (!args.filter) {
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(join(root, 'docs', 'bench-cpu.svg'), svg);
}
console.log(`wrote ${join(args.out, 'cpu.json')}, cpu.md, cpu.svg`);
