// The user path: pack the package, install the tarball into a fresh project without running
// scripts and without any compiler on PATH, import it, and get correct matmul results from the
// prebuilt native CPU kernels.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd(); // jest runs from the repository root
const prebuilt = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'lepton.napi.node');

const CHECK = `
import * as lc from 'lepton-compute';
const cpu = lc.devices().find((d) => d.id === 'cpu');
const M = 37, K = 129, N = 65;
const a = new Float32Array(M * K).map((_, i) => ((i * 7) % 13) / 13 - 0.5);
const b = new Float32Array(K * N).map((_, i) => ((i * 5) % 11) / 11 - 0.5);
const y = await lc.matmul(lc.tensor(a, [M, K]), lc.tensor(b, [K, N])).data();
let maxErr = 0;
for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
  let s = 0;
  for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
  maxErr = Math.max(maxErr, Math.abs(s - y[i * N + j]));
}
console.log(JSON.stringify({ binary: cpu.binary, kernels: cpu.kernels, isa: cpu.isa, maxErr }));
`;

test('npm pack → install --ignore-scripts without a compiler → native matmul works', () => {
  const work = mkdtempSync(join(tmpdir(), 'lepton-pack-'));
  try {
    // prepack compiles the TypeScript and writes the prebuilt binary that the tarball carries.
    execFileSync('npm', ['pack', '--pack-destination', work], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    expect(existsSync(prebuilt)).toBe(true);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    const project = join(work, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], {
      cwd: project, stdio: ['ignore', 'ignore', 'inherit'],
    });
    writeFileSync(join(project, 'check.mjs'), CHECK);
    // PATH holds only node itself: no cc, c++, cmake, make or python.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const out = execFileSync(join(bin, 'node'), ['check.mjs'], { cwd: project, env: { PATH: bin, HOME: work }, encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.binary).toBe('prebuild');
    expect(result.kernels).toBe('native');
    expect(result.maxErr).toBeLessThan(1e-4);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 600_000);
