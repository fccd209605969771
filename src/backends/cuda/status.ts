import { native, nativeStatus } from '../../native.js';
import type { DeviceInfo } from '../backend.js';

const version = (v: number) => `${Math.floor(v / 1000)}.${(v % 1000) / 10}`;

/**
 * What lc.devices() says about CUDA. This build compiles and links the CUDA runtime (statically)
 * and probes each device with a kernel, but has no CUDA op kernels yet, so CUDA devices are listed
 * as unavailable with the reason, and ops run on the other devices.
 */
export function cudaDeviceInfo(): DeviceInfo {
  const base = { id: 'cuda:0', kind: 'cuda', name: 'CUDA', available: false } as const;
  if (!native) return { ...base, reason: `the native addon did not load (${nativeStatus.reason})` };
  const info = native.cudaInfo();
  if (!info.compiled) return { ...base, reason: info.reason ?? 'built without CUDA' };
  const details = { architectures: info.architectures, driverVersion: info.driverVersion, runtimeVersion: info.runtimeVersion };
  if (!info.driverVersion) {
    return { ...base, ...details, reason: `no NVIDIA driver found (this binary needs a driver for CUDA ${version(info.runtimeVersion ?? 0)}, i.e. >= 580): ${info.reason}` };
  }
  if (info.driverVersion < (info.runtimeVersion ?? 0)) {
    return { ...base, ...details, reason: `the NVIDIA driver (CUDA ${version(info.driverVersion)}) is older than this binary's CUDA runtime ${version(info.runtimeVersion ?? 0)}: update the driver to >= 580` };
  }
  if (info.devices.length === 0) return { ...base, ...details, reason: info.reason ?? 'no CUDA device found' };
  const d = info.devices[0]!;
  const name = d.name ?? 'CUDA device';
  if (d.error) return { ...base, ...details, name, reason: d.error };
  return {
    ...base, ...details, name, memoryBytes: d.memoryBytes, computeCapability: d.computeCapability, devices: info.devices,
    reason: `${info.devices.length} CUDA device(s) found and probed, but this build has no CUDA op kernels yet: ops run on the other devices`,
  };
}
