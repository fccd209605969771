import { native, nativeStatus } from '../../native.js';
import type { DeviceInfo } from '../backend.js';

const version = (v: number) => `${Math.floor(v / 1000)}.${(v % 1000) / 10}`;

/**
 * What lc.devices() says about CUDA: available when the binary carries the CUDA kernels (a CMake
 * build with nvcc) and device 0 ran the probe kernel; otherwise unavailable, with the reason.
 */
export function cudaDeviceInfo(): DeviceInfo {
  const base = { id: 'cuda:0', kind: 'cuda', name: 'CUDA', available: false };
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
  const found = { ...base, ...details, name, memoryBytes: d.memoryBytes, computeCapability: d.computeCapability, devices: info.devices };
  if (!native.cudaAlloc) return { ...found, reason: 'this binary has the CUDA runtime but not the CUDA kernels: rebuild with `npm run build:native`' };
  return { ...found, available: true };
}
