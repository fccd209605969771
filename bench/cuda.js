// npm run bench:cuda: lepton-compute's CUDA kernels (cuda:0) on the CPU bench's cases plus matmul
// 4096³ / 8192³ (fp32 and TF32) and a 1 GiB sum, beside PyTorch (cuBLAS / cuDNN) on the same GPU in
// the same run (bench/peers/torch_cuda.py). Each lepton case's first output is checked against the
// CPU result (cases small enough for the CPU) before any timing. Writes bench/results/cuda.{json,md}.
// Without a usable CUDA device it prints why and exits 0.
//
// Usage: npm run build:ts && npm run build:native && npm run bench:cuda [-- --filter RE] [-- --no-peers] [-- --budget S]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as lc from '../dist/index.js';
import { cpuCases } from './cases.js';
import { timeAsync } from './timing.js';
import { randomData } from './data.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    filter: { type: 'string' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
    budget: { type: 'string', default: '2' },
    'no-peers': { type: 'boolean', default: false },
  },
});
const DEVICE = 'cuda:0';
const info = lc.devices().find((d) => d.id === DEVICE);
if (!info?.available) {
  console.log(`bench:cuda skipped: ${DEVICE} is unavailable (${info?.reason ?? 'unknown'})`);
  process.exit(0);
}
const { cudaBackend } = await import('../dist/backends/cuda/register.js');

const matmul = (n, precision) => ({
  group: 'matmul', name: `matmul ${n}³ ${precision}`, unit: 'TFLOP/s', work: 2 * n ** 3, precision,
  inputs: { a: [n, n], b: [n, n] }, run: (l, t) => l.matmul(t.a, t.b), torch: `matmul ${n} ${precision === 'tf32' ? 'tf32' : 'fp32'}`,
});
const gib = 1024 ** 3 / 4;
const cases = [
  ...cpuCases.map((c) => ({ ...c, unit: c.unit === 'GFLOP/s' ? 'TFLOP/s' : c.unit, torch: c.name === 'conv 8×64×56×56→64 3×3 p1' ? 'conv 8x64x56x56 3x3' : undefined })),
  matmul(4096, 'highest'), matmul(4096, 'tf32'), matmul(8192, 'highest'), matmul(8192, 'tf32'),
  { group: 'reduce', name: 'sum 1 GiB', unit: 'GB/s', work: 4 * gib, inputs: { x: [gib] }, run: (l, t) => l.sum(t.x), torch: 'sum 1GiB' },
].filter((c) => !args.filter || new RegExp(args.filter, 'i').test(c.name));

/** Max |got - want| relative to max |want|. */
function relError(got, want) {
  let err = 0, scale = 1e-30;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(Number(got[i]) - Number(want[i])));
    scale = Math.max(scale, Math.abs(Number(want[i])));
  }
  return err / scale;
}

const results = [];
for (const c of cases) {
  cudaBackend.precision = c.precision ?? 'highest';
  const host = Object.fromEntries(Object.entries(c.inputs).map(([k, shape], i) => [k, lc.tensor(randomData(shape.reduce((a, b) => a * b, 1), 7 + i), shape)]));
  const dev = Object.fromEntries(Object.entries(host).map(([k, t]) => [k, t.to(DEVICE)]));
  const row = { name: c.name, group: c.group, unit: c.unit };
  try {
    const first = c.run(lc, dev);
    const got = await first.data();
    first.dispose();
    if (c.work <= 2 ** 34) {  // the CPU reference takes seconds beyond this
      const want = await c.run(lc, host).data();
      row.relError = relError(got, want);
      const tol = c.precision === 'tf32' ? 1e-2 : c.group === 'reduce' && c.name.startsWith('argmax') ? 0 : 1e-4;
      if (!(row.relError <= tol)) throw new Error(`result differs from the CPU: relative error ${row.relError}`);
    }
    const seconds = await timeAsync(async () => {
      const y = c.run(lc, dev);
      await y.ready();
      y.dispose();
    }, { budgetSeconds: Number(args.budget), minReps: 3, maxReps: 50 });
    row.ms = seconds * 1e3;
    row.rate = c.unit === 'GB/s' ? c.work / seconds / 1e9 : c.work / seconds / 1e12;
  } catch (err) {
    row.error = err.message;
  }
  for (const t of [...Object.values(host), ...Object.values(dev)]) t.dispose();
  results.push(row);
  console.log(`${c.name.padEnd(40)} ${row.error ? `ERROR ${row.error}` : `${row.rate.toFixed(2)} ${c.unit}  (${row.ms.toFixed(3)} ms)`}`);
}
cudaBackend.precision = 'highest';

// PyTorch on the same GPU, same run: cuBLAS fp32 (TF32 off), TF32, BF16; cuDNN conv; sum; D2D copy.
let torch = { error: 'peers disabled (--no-peers)' };
if (!args['no-peers']) {
  const r = spawnSync(process.env.PYTHON ?? 'python3', [join(root, 'bench', 'peers', 'torch_cuda.py')], { encoding: 'utf8', timeout: 600_000 });
  try {
    torch = JSON.parse(r.stdout);
  } catch {
    torch = { error: `torch_cuda.py failed (status ${r.status}): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  }
}
for (const row of results) {
  const peer = cases.find((c) => c.name === row.name)?.torch;
  const p = peer && torch.results?.[peer];
  if (p && row.rate) row.vsTorch = row.rate / p.rate;
}

mkdirSync(args.out, { recursive: true });
const summary = { device: info, torch, results, date: new Date().toISOString() };
writeFileSync(join(args.out, 'cuda.json'), JSON.stringify(summary, null, 2));
const lines = [
  `# lepton-compute on ${info.name} (${DEVICE})`, '',
  torch.error ? `PyTorch peer: ${torch.error}` : `PyTorch ${torch.version}, CUDA ${torch.cuda}; D2D copy ${torch.results['d2d copy']?.rate.toFixed(0)} GB/s`, '',
  '| case | lepton | unit | × PyTorch |', '|---|---|---|---|',
  ...results.map((r) => `| ${r.name} | ${r.error ? `error: ${r.error}` : r.rate.toFixed(2)} | ${r.unit} | ${r.vsTorch ? r.vsTorch.toFixed(2) : ''} |`),
];
writeFileSync(join(args.out, 'cuda.md'), lines.join('\n') + '\n');
console.log(`wrote ${join(args.out, 'cuda.json')} and cuda.md`);
