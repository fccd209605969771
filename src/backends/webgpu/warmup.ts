// lc.warmup({ device }): compiles a device's pipelines up front so the first real call pays no compile.
import { show } from '../../errors.js';
import { LeptonError } from '../../errors.js';
import { deviceFor } from '../../runtime/devices.js';
import { WebGpuBackend } from './index.js';
import { gatherProgram } from './kernels/gather.js';
import { webgpuKernels } from './kernels/index.js';

export interface WarmupOptions {
  /** 'webgpu:0' (default: every available webgpu device). CPU devices need no warm-up. */
  device?: string;
}

export interface WarmupResult {
  device: string;
  /** Pipelines compiled or already cached on the device. */
  pipelines: number;
  ms: number;
}

export async function warmup(options: WarmupOptions = {}): Promise<WarmupResult[]> {
  if (options.device !== undefined && typeof options.device !== 'string') {
    throw new LeptonError('BAD_ARGUMENT', `warmup: device must be a string like "webgpu:0", got ${show(options.device)}`);
  }
  const { devices } = await import('../../runtime/devices.js');
  const ids = options.device !== undefined ? [options.device] : devices().filter((d) => d.kind === 'webgpu' && d.available).map((d) => d.id);
  const out: WarmupResult[] = [];
  for (const id of ids) {
    const backend = deviceFor(id, 'warmup');
    const t0 = performance.now();
    if (!(backend instanceof WebGpuBackend)) {
      out.push({ device: backend.id, pipelines: 0, ms: 0 });
      continue;
    }
    const programs = [gatherProgram, ...Object.values(webgpuKernels).flatMap((k) => k.programs?.() ?? [])];
    const pipelines = await backend.warmup(programs);
    out.push({ device: backend.id, pipelines, ms: performance.now() - t0 });
  }
  return out;
}
