// The CPU kernels exist once per ISA (portable, AVX2+FMA, AVX-512) and the default run takes the
// best this CPU has, so the per-op suites are run again here, CPU only, with each lower path forced
// (LEPTON_CPU_ISA): a machine with AVX-512 then tests all three.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as lc from '../../src/index.js';

const cpu = lc.devices().find((d) => d.id === 'cpu');
const native = cpu?.kernels === 'native';
const order = ['portable', 'avx2+fma', 'avx512'];
const best = order.indexOf(String(cpu?.isa));
const lower: [string, string][] = [['portable', 'portable'], ['avx2', 'avx2+fma']];

for (const [flag, name] of lower) {
  const run = native && order.indexOf(name) < best ? test : test.skip;
  if (!native) console.log(`skipping the ${name} CPU path: the native addon did not load`);
  else if (order.indexOf(name) >= best) console.log(`skipping a forced ${name} run: it is this CPU's default path (${cpu?.isa})`);
  run(`test/ops passes on the ${name} CPU path (LEPTON_CPU_ISA=${flag})`, () => {
    const jest = join(process.cwd(), 'node_modules', 'jest', 'bin', 'jest.js');
    const env = { ...process.env, LEPTON_CPU_ISA: flag, LEPTON_TEST_DEVICES: 'cpu', LEPTON_REQUIRE_DEVICES: 'cpu', LEPTON_WEBGPU: '0', LEPTON_CUDA: '0' };
    // The child's devices() must report the forced path, or the suites would test the default again.
    const isa = execFileSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(String(cpu?.binaryPath))}).info().isa)`], { env, encoding: 'utf8' }).trim();
    expect(isa).toBe(name);
    execFileSync(process.execPath, ['--experimental-vm-modules', jest, '--silent', 'test/ops'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  }, 600_000);
}
