// binding.gyp builds the same CPU sources as CMakeLists.txt: build it with node-gyp in a scratch
// copy and check the result loads and computes.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = process.cwd();
const candidates = [process.env.npm_config_node_gyp, join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
const nodeGyp = candidates.find((p): p is string => !!p && existsSync(p));
const run = nodeGyp && process.env.LEPTON_SKIP_NODE_GYP !== '1' ? test : test.skip;
if (!nodeGyp) console.log('skipping node-gyp build test: node-gyp not found');

run('node-gyp builds binding.gyp into a working addon', () => {
  const work = mkdtempSync(join(tmpdir(), 'lepton-gyp-'));
  try {
    for (const p of ['binding.gyp', 'native', 'kernels', 'package.json']) cpSync(join(root, p), join(work, p), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'));
    execFileSync(process.execPath, [nodeGyp!, 'rebuild', '-j', '2'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
    const addon = createRequire(join(work, 'x.js'))(join(work, 'build', 'Release', 'lepton.node'));
    expect(addon.info().buildSystem).toBe('node-gyp');
    const y = new Float32Array(4);
    addon.gemm(2, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 0, 2, 1, new Float32Array([5, 6, 7, 8]), 0, 2, 1, 0, y, 0, 2, null, null, 0, true);
    expect(Array.from(y)).toEqual([19, 22, 43, 50]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 900_000);
