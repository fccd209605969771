// Registers webgpu devices at import (src/runtime/setup.ts awaits this once).
import { registerBackend, registerUnavailable } from '../../runtime/devices.js';
import { discoverAdapter, type Discovery } from './adapter.js';
import { WebGpuBackend } from './index.js';

/** Discovery is an adapter request (~0.1 s on lavapipe); it is bounded so a stuck driver cannot hang import. */
const DISCOVERY_TIMEOUT_MS = Number(process.env.LEPTON_WEBGPU_TIMEOUT_MS ?? 10_000);

export let webgpuBackend: WebGpuBackend | undefined;

export async function registerWebGpu(): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Discovery>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `adapter discovery took longer than ${DISCOVERY_TIMEOUT_MS} ms` }), DISCOVERY_TIMEOUT_MS);
    timer.unref?.();
  });
  const found = await Promise.race([discoverAdapter().catch((err: Error): Discovery => ({ ok: false, reason: err.message })), timeout]);
  clearTimeout(timer);
  if (found.ok) {
    webgpuBackend = new WebGpuBackend(found, 0);
    registerBackend(webgpuBackend);
  } else {
    registerUnavailable({ id: 'webgpu:0', kind: 'webgpu', name: 'WebGPU', available: false, reason: found.reason });
  }
}
