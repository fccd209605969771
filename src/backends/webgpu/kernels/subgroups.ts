// When kernels take their subgroup variants (kernels/wgsl/enable_subgroups.wgsl first in the program).
import { wgslLanguageFeatures } from '../adapter.js';
import type { GpuRuntime } from '../runtime.js';

/**
 * The device was created with `subgroups` (see usableFeatures: LEPTON_WEBGPU_DISABLE_FEATURES=subgroups
 * turns it off) and WGSL has the subgroup_id / num_subgroups builtins, which let a workgroup number its
 * subgroups without assuming their size or how invocations map to them.
 */
export function subgroupsUsable(rt: GpuRuntime): boolean {
  return rt.device.features.has('subgroups') && wgslLanguageFeatures().has('subgroup_id');
}

/** The files a subgroup program starts with. */
export const SUBGROUP_PREFIX = ['enable_subgroups'] as const;
