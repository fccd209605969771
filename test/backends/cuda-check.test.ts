// Runs the standalone kernel checker (kernels/cuda/test/driver.cu, built by CMake as
// lepton_cuda_check) when a GPU is present: every CUDA kernel against a float64 CPU reference.
// Without a GPU the checker must still start and say why it skips (exit 2), never crash.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as lc from '../../src/index.js';

const checker = join(process.cwd(), 'build', 'Release', 'lepton_cuda_check');
const built = existsSync(checker);
const gpu = lc.devices().find((d) => d.id === 'cuda:0')?.available === true;
const required = (process.env.LEPTON_REQUIRE_DEVICES ?? '').split(',').map((s) => s.trim()).includes('cuda');

if (!built) console.log(`skipping the CUDA kernel checker: ${checker} was not built (CMake found no nvcc, or build:native has not run)`);
else if (!gpu) console.log(`skipping the CUDA kernel checks on a GPU: ${lc.devices().find((d) => d.kind === 'cuda')?.reason}`);

(built && !gpu && !required ? test : test.skip)('the checker runs without a GPU and exits 2 with the reason', () => {
  const r = spawnSync(checker, ['--no-bench'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(2);
  expect(r.stdout).toMatch(/^SKIP no usable CUDA device: /);
});

(built && (gpu || required) ? test : test.skip)('every CUDA kernel matches the float64 reference', () => {
  const r = spawnSync(checker, ['--no-bench'], { encoding: 'utf8', timeout: 300_000 });
  const failed = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
  expect({ status: r.status, failed, stderr: r.stderr }).toEqual({ status: 0, failed: [], stderr: '' });
}, 320_000);
