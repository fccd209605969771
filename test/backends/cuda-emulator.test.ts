// The CUDA kernels, run with no GPU: kernels/cuda/test/emu builds the kernel checker
// (kernels/cuda/test/driver.cu) against a CPU emulator of the CUDA execution model (a fiber per
// thread, real barriers and warp shuffles) and every case must match the float64 reference.
// This checks index maths, tiling, bounds and reductions in CI; it cannot check speed, memory
// ordering between barriers or hardware faults (that needs lepton_cuda_check on a GPU).
// Needs g++, python3 and the CUDA headers; LEPTON_CUDA_EMULATOR=0 skips it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
const emu = join(root, 'kernels', 'cuda', 'test', 'emu');
const out = join(root, '.lepton-cache', 'cuda-emu');
const binary = join(out, 'lepton_cuda_check_emu');

function missing(): string | undefined {
  if (process.env.LEPTON_CUDA_EMULATOR === '0') return 'disabled by LEPTON_CUDA_EMULATOR=0';
  for (const tool of ['g++', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} not found`;
  }
  const headers = [process.env.CUDA_INCLUDE, process.env.CUDA_PATH && join(process.env.CUDA_PATH, 'include'), '/usr/local/cuda/include'];
  if (!headers.some((h) => h && existsSync(join(h, 'cuda_runtime.h')))) return 'no CUDA headers (set CUDA_INCLUDE)';
  return undefined;
}

/** A hash of every source the emulated checker is built from: rebuild only when one changed. */
function sourcesHash(): string {
  const h = createHash('sha256');
  const add = (dir: string) => {
    for (const f of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (f.isDirectory()) add(join(dir, f.name));
      else h.update(f.name).update(readFileSync(join(dir, f.name)));
    }
  };
  add(join(root, 'kernels', 'cuda'));
  return h.digest('hex');
}

const why = missing();
if (why) console.log(`skipping the emulated CUDA kernel checks: ${why}`);

(why ? test.skip : test)('every CUDA kernel matches the float64 reference under the CPU emulator', () => {
  const stamp = join(out, 'sources.sha256');
  const hash = sourcesHash();
  if (!existsSync(binary) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== hash) {
    const b = spawnSync(join(emu, 'build.sh'), [out], { encoding: 'utf8', timeout: 600_000 });
    expect({ status: b.status, stderr: b.stderr }).toEqual({ status: 0, stderr: '' });
    writeFileSync(stamp, hash);
  }
  const r = spawnSync(binary, ['--no-bench'], { encoding: 'utf8', timeout: 600_000 });
  const failed = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
  expect({ status: r.status, failed, stderr: r.stderr }).toEqual({ status: 0, failed: [], stderr: '' });
  expect(r.stdout).toMatch(/(\d+) of \1 cases passed/);
}, 1_200_000);
