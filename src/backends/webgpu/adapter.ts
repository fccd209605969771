/// <reference types="@webgpu/types" />
// Adapter discovery: navigator.gpu where it exists (browser, Deno), else Dawn's node bindings (npm `webgpu`).

/** What discovery found: an adapter and how it was reached, or why there is none. */
export type Discovery =
  | { ok: true; adapter: GPUAdapter; backend: string; gpu: GPU }
  | { ok: false; reason: string };

/**
 * Dawn's node bindings may default to an OpenGL(ES) adapter and hide the Vulkan ones on headless
 * Linux, so each backend is asked for explicitly, best first. Dawn's 'null' backend is never used:
 * it computes nothing.
 */
function backendOrder(): string[] {
  const forced = process.env.LEPTON_WEBGPU_BACKEND;
  if (forced) return [forced];
  if (process.platform === 'darwin') return ['metal', ''];
  if (process.platform === 'win32') return ['d3d12', 'vulkan', ''];
  return ['vulkan', ''];
}

async function requestFrom(gpu: GPU): Promise<GPUAdapter | null> {
  // A real GPU first; a software adapter (lavapipe, SwiftShader) is better than none.
  return (await gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? (await gpu.requestAdapter({ forceFallbackAdapter: true }).catch(() => null));
}

/**
 * One discovery (and one GPUDevice, see sharedDevice) per process, even when this module is loaded
 * more than once (test runners' module registries, CJS and ESM copies): every Dawn instance and
 * device costs memory and threads, and slows process exit.
 */
const SHARED = Symbol.for('lepton-compute.webgpu');
interface Shared { discovery?: Promise<Discovery>; devices: WeakMap<GPUAdapter, Promise<GPUDevice>>; languages?: ReadonlySet<string> }
function shared(): Shared {
  const g = globalThis as unknown as Record<symbol, Shared | undefined>;
  return (g[SHARED] ??= { devices: new WeakMap() });
}

export function discoverAdapter(): Promise<Discovery> {
  if (process.env.LEPTON_WEBGPU === '0') return Promise.resolve({ ok: false, reason: 'disabled by LEPTON_WEBGPU=0' });
  const s = shared();
  return (s.discovery ??= discover().then((d) => {
    if (d.ok) s.languages = d.gpu.wgslLanguageFeatures ?? new Set();
    return d;
  }));
}

/** The WGSL language features (e.g. subgroup_id) of the discovered GPU; empty before discovery. */
export function wgslLanguageFeatures(): ReadonlySet<string> {
  return shared().languages ?? new Set();
}

/** The adapter's device, created once per process; a lost device is replaced on the next call. */
export function sharedDevice(adapter: GPUAdapter, create: () => Promise<GPUDevice>): Promise<GPUDevice> {
  const { devices } = shared();
  let d = devices.get(adapter);
  if (!d) {
    d = create();
    devices.set(adapter, d);
    d.then((device) => device.lost.then(() => devices.delete(adapter)), () => devices.delete(adapter));
  }
  return d;
}

async function discover(): Promise<Discovery> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) {
    const adapter = await requestFrom(nav.gpu).catch(() => null);
    return adapter ? { ok: true, adapter, backend: 'navigator.gpu', gpu: nav.gpu } : { ok: false, reason: 'navigator.gpu returned no adapter' };
  }
  let create: (options: string[]) => GPU;
  try {
    ({ create } = (await import('webgpu')) as unknown as { create: (options: string[]) => GPU });
  } catch (err) {
    return { ok: false, reason: `the 'webgpu' package (Dawn's node bindings) did not load: ${(err as Error).message.split('\n')[0]}` };
  }
  // Mesa's drivers want a writable runtime dir; a missing one only prints warnings, but set it if unset.
  if (!process.env.XDG_RUNTIME_DIR && process.platform === 'linux') {
    try {
      const { mkdirSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const dir = `${tmpdir()}/lepton-xdg-${process.getuid?.() ?? 0}`;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      process.env.XDG_RUNTIME_DIR = dir;
    } catch {
      // harmless: Mesa falls back with a warning
    }
  }
  const tried: string[] = [];
  for (const backend of backendOrder()) {
    const label = backend || 'default';
    try {
      const gpu = create(backend ? [`backend=${backend}`] : []);
      const adapter = await requestFrom(gpu);
      if (adapter && !isNullAdapter(adapter)) return { ok: true, adapter, backend: label, gpu };
      tried.push(`${label}: no adapter`);
    } catch (err) {
      tried.push(`${label}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const hint = process.platform === 'linux' ? ' (is libvulkan with a Vulkan driver installed? on a machine with no GPU, Mesa lavapipe: scripts/install-mesa.sh)' : '';
  return { ok: false, reason: `no WebGPU adapter found (${tried.join('; ')})${hint}` };
}

function isNullAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  return /null/i.test(info?.description ?? '') && !info?.vendor;
}

/** Optional features lepton's kernels use when the adapter has them. */
const OPTIONAL_FEATURES = ['shader-f16', 'subgroups'] as const;

/**
 * The optional features to request: those the adapter has, less any named in
 * LEPTON_WEBGPU_DISABLE_FEATURES (comma-separated; lets tests run the paths for adapters without them).
 */
export function usableFeatures(adapter: GPUAdapter): ReadonlySet<string> {
  const off = new Set((process.env.LEPTON_WEBGPU_DISABLE_FEATURES ?? '').split(',').map((f) => f.trim()).filter(Boolean));
  return new Set(OPTIONAL_FEATURES.filter((f) => adapter.features.has(f) && !off.has(f)));
}

/** Adapter facts for lc.devices(). */
export function describeAdapter(adapter: GPUAdapter, backend: string): Record<string, unknown> {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const key of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage'] as const) {
    limits[key] = adapter.limits[key];
  }
  return {
    name: info?.description || info?.device || info?.vendor || 'WebGPU adapter',
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    backend,
    isFallbackAdapter: (info as { isFallbackAdapter?: boolean })?.isFallbackAdapter ?? false,
    limits,
    features: [...adapter.features].sort(),
  };
}
