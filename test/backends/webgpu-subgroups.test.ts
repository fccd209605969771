// The reductions' subgroup programs (kernels/wgsl/*_subgroup.wgsl) are the default where the device has
// `subgroups`, so the per-op suites test them there. This file checks which programs run, and runs those
// suites again, webgpu only, with the feature turned off (LEPTON_WEBGPU_DISABLE_FEATURES=subgroups), so the
// workgroup-tree programs stay tested on the same machine.
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as lc from '../../src/index.js';
import { wgslLanguageFeatures } from '../../src/backends/webgpu/adapter.js';
import { webgpuBackend } from '../../src/backends/webgpu/register.js';
import { subgroupsUsable } from '../../src/backends/webgpu/kernels/subgroups.js';

const info = lc.devices().find((d) => d.kind === 'webgpu');
const available = info?.available === true && webgpuBackend !== undefined;
const disabled = (process.env.LEPTON_WEBGPU_DISABLE_FEATURES ?? '').split(',').map((f) => f.trim()).includes('subgroups');
if (!available) console.log(`skipping webgpu subgroup tests: ${info?.reason ?? 'webgpu is not registered'}`);
const describeGpu = available ? describe : describe.skip;

describeGpu('webgpu reductions with and without subgroups', () => {
  test('reductions and argmax take the subgroup programs exactly when the device has subgroups', async () => {
    const rt = await webgpuBackend!.runtime();
    const has = rt.device.features.has('subgroups') && wgslLanguageFeatures().has('subgroup_id');
    expect(subgroupsUsable(rt)).toBe(has);
    if (disabled) expect(has).toBe(false);
    const names: string[] = [];
    const compile = rt.pipeline.bind(rt);
    const spy = jest.spyOn(rt, 'pipeline').mockImplementation((p) => {
      names.push(p.name);
      return compile(p);
    });
    try {
      const x = lc.tensor(new Float32Array(5000).fill(1), [2, 2500], { device: 'webgpu:0' });
      expect(Array.from(await lc.sum(x, { axes: [1] }).data())).toEqual([2500, 2500]);
      expect(Array.from(await lc.argmax(x, { axis: 1, selectLastIndex: true }).data<BigInt64Array>(), Number)).toEqual([2499, 2499]);
    } finally {
      spy.mockRestore();
    }
    const suffix = has ? '_subgroups' : '';
    expect(names).toEqual(expect.arrayContaining([`reduce_f32${suffix}`, `argReduce_f32${suffix}`]));
    if (has) expect(names).not.toContain('reduce_f32');
    console.log(`webgpu reductions ran ${has ? 'with' : 'without'} subgroups: ${[...new Set(names)].join(', ')}`);
  });

  const spawn = available && !disabled && usesSubgroups() ? test : test.skip;
  spawn('the reduce and argReduce suites pass without subgroups (LEPTON_WEBGPU_DISABLE_FEATURES=subgroups)', () => {
    const jestBin = join(process.cwd(), 'node_modules', 'jest', 'bin', 'jest.js');
    const env = { ...process.env, LEPTON_WEBGPU_DISABLE_FEATURES: 'subgroups', LEPTON_TEST_DEVICES: 'webgpu', LEPTON_REQUIRE_DEVICES: 'webgpu' };
    const suites = ['test/ops/reduce.test.ts', 'test/ops/argReduce.test.ts', 'test/backends/webgpu-subgroups.test.ts'];
    execFileSync(process.execPath, ['--experimental-vm-modules', jestBin, '--silent', ...suites], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  }, 600_000);
});

/** Whether this run's device has subgroups (else this run already is the tree run). */
function usesSubgroups(): boolean {
  return ((info as { usedFeatures?: string[] } | undefined)?.usedFeatures ?? []).includes('subgroups');
}
