import type { Backend, DeviceInfo } from '../backends/backend.js';
import { LeptonError, show } from '../errors.js';

const backends = new Map<string, Backend>();
/** Device kinds that are known but have no backend here, with the reason (shown by lc.devices()). */
const unavailable = new Map<string, DeviceInfo>();

/** Registers a backend under its id (replacing any earlier one with that id). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.id, backend);
  unavailable.delete(backend.info().kind);
}

export function unregisterBackend(id: string): void {
  backends.delete(id);
}

/** Records a device kind that cannot be used, and why. */
export function registerUnavailable(info: DeviceInfo): void {
  if (![...backends.values()].some((b) => b.info().kind === info.kind)) unavailable.set(info.kind, info);
}

/** Every device kind, available or not, with the reason when not. */
export function devices(): DeviceInfo[] {
  return [...[...backends.values()].map((b) => b.info()), ...unavailable.values()];
}

/** Normalises 'webgpu' to 'webgpu:0' and finds the backend; throws DEVICE_UNAVAILABLE otherwise. */
export function deviceFor(id: string, op = 'device'): Backend {
  if (typeof id !== 'string') throw new LeptonError('BAD_ARGUMENT', `${op}: device must be a string like "cpu" or "webgpu:0", got ${show(id)}`);
  const key = id === 'cpu' || id.includes(':') ? id : `${id}:0`;
  const b = backends.get(key);
  if (b && b.info().available) return b;
  const known = unavailable.get(id.split(':')[0]!) ?? b?.info();
  const why = known?.reason ? ` (${known.reason})` : '';
  throw new LeptonError('DEVICE_UNAVAILABLE', `${op}: device must be an available device (${[...backends.keys()].join(', ')}), got ${show(id)}${why}`);
}

export function backendIds(): string[] {
  return [...backends.keys()];
}

/**
 * The backend registered under an id ('webgpu' means 'webgpu:0'), with no availability check
 * (info() can be slow: the CPU's reads /proc/cpuinfo). For hot paths: the runtime's per-op launch.
 */
export function backendById(id: string): Backend | undefined {
  return backends.get(id === 'cpu' || id.includes(':') ? id : `${id}:0`);
}
