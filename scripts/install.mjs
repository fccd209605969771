// npm install hook: use a prebuilt binary when one loads, else build from source,
// else leave the TypeScript reference kernels in charge (never fail the install).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const prebuilt = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'lepton.napi.node');

function loads(path) {
  try {
    require(path).info();
    return true;
  } catch {
    return false;
  }
}

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
}

if (process.env.LEPTON_BUILD_FROM_SOURCE !== '1' && existsSync(prebuilt) && loads(prebuilt)) {
  console.log(`lepton-compute: using prebuilt binary ${prebuilt}`);
  process.exit(0);
}

const cmakeJs = join(root, 'node_modules', '.bin', 'cmake-js');
const attempts = [];
if (existsSync(cmakeJs)) attempts.push(['cmake-js', () => run(cmakeJs, ['compile', '--out', 'build'])]);
if (process.env.npm_config_node_gyp) attempts.push(['node-gyp', () => run(process.execPath, [process.env.npm_config_node_gyp, 'rebuild'])]);

for (const [name, attempt] of attempts) {
  try {
    attempt();
    if (loads(join(root, 'build', 'Release', 'lepton.node'))) {
      console.log(`lepton-compute: built the native addon with ${name}`);
      process.exit(0);
    }
  } catch (err) {
    console.warn(`lepton-compute: ${name} build failed: ${err.message.split('\n')[0]}`);
  }
}
console.warn(
  'lepton-compute: no native addon for this platform; the TypeScript reference kernels will run (slow).\n' +
    '  Fix: install cmake >= 3.18 and a C++17 compiler, then run `npm rebuild lepton-compute`.',
);
