// Builds the N-API addon (cmake-js, CUDA included when nvcc is found) and copies it to
// prebuilds/<platform>-<arch>/lepton.napi.node, where the loader looks first.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build'); // incremental: reuses the local build when it is current
execFileSync(join(root, 'node_modules', '.bin', 'cmake-js'), ['compile', '--out', buildDir], { cwd: root, stdio: 'inherit' });
const target = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(target, { recursive: true });
copyFileSync(join(buildDir, 'Release', 'lepton.node'), join(target, 'lepton.napi.node'));
console.log(`prebuild: wrote ${join(target, 'lepton.napi.node')}`);
