import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type F32 = Float32Array;
type MaybePromise = Promise<void> | undefined;

/** An opaque native recording (native/recording_binding.cc): kernels passed it as `sync` run inline and are captured. */
export type NativeRecording = { readonly __nativeRecording: unique symbol };
/** A kernel's last argument: true runs inline, false on the kernel thread, a recording inline and captured for replay. */
export type RunMode = boolean | NativeRecording;

/** The addon's functions (native/*_binding.cc). Each kernel takes `sync` last (a RunMode): true runs inline, false returns a Promise. */
export interface NativeAddon {
  info(): { isa: string; threads: number; napiVersion: number; buildSystem?: string };
  setThreads(threads: number): void;
  gemm(M: number, N: number, K: number, alpha: number, A: F32, aOff: number, aRs: number, aCs: number,
    B: F32, bOff: number, bRs: number, bCs: number, beta: number, C: F32, cOff: number, ldc: number,
    rowBias: F32 | null, colBias: F32 | null, activation: number, sync: RunMode): MaybePromise;
  gemmBatched(M: number, N: number, K: number, alpha: number, A: F32, aOffsets: number[], aRs: number, aCs: number,
    B: F32, bOffsets: number[], bRs: number, bCs: number, beta: number, C: F32, cOffsets: number[], ldc: number,
    sync: RunMode): MaybePromise;
  conv2d(params: number[], x: F32, w: F32, bias: F32 | null, y: F32, activation: number, sync: RunMode): MaybePromise;
  maxPool2d(params: number[], x: F32, y: F32, indices: BigInt64Array | null, sync: RunMode): MaybePromise;
  avgPool2d(params: number[], x: F32, y: F32, sync: RunMode): MaybePromise;
  globalPool(isMax: boolean, nc: number, spatial: number, x: F32, y: F32, sync: RunMode): MaybePromise;
  reduce(op: number, shape: readonly number[], strides: readonly number[], offset: number, x: F32, mask: number, y: F32,
    sync: RunMode): MaybePromise;
  argReduce(isMax: boolean, selectLast: boolean, shape: readonly number[], strides: readonly number[], offset: number,
    x: F32, axis: number, y: BigInt64Array, sync: RunMode): MaybePromise;
  binary(op: number, outShape: readonly number[], a: F32, aOff: number, aStrides: readonly number[], b: F32,
    bOff: number, bStrides: readonly number[], y: F32, sync: RunMode): MaybePromise;
  unary(op: number, x: F32, xOff: number, n: number, y: F32, sync: RunMode): MaybePromise;
  clip(x: F32, xOff: number, n: number, lo: number, hi: number, y: F32, sync: RunMode): MaybePromise;
  copyStrided(shape: readonly number[], strides: readonly number[], offset: number, x: ArrayBufferView,
    y: ArrayBufferView, sync: RunMode): MaybePromise;
  softmax(outer: number, axisLen: number, inner: number, x: F32, xOff: number, y: F32, log: boolean,
    sync: RunMode): MaybePromise;
  /** What the CUDA runtime linked into this binary sees (compiled=false when built without nvcc). */
  cudaInfo(): CudaInfo;
  /** Present only in CUDA builds (native/cuda_*_binding.cc). */
  cudaAlloc?: CudaAddon['cudaAlloc'];
  /** Bench probes: peak FMA GFLOP/s on all threads, and read GB/s over x. */
  probePeakGflops(seconds: number): number;
  probeReadGbps(x: Float32Array, passes: number): number;
  recordingNew(): NativeRecording;
  /** Tags the launches recorded from now on (the runtime's step index). */
  recordingMark(rec: NativeRecording, tag: number): void;
  recordingTags(rec: NativeRecording): Int32Array;
  /** Replays the recorded launches in order; timingsMs (one per launch) gets each one's wall time. */
  programRun(rec: NativeRecording, timingsMs: Float64Array | null, sync: boolean): MaybePromise;
  recordingFree(rec: NativeRecording): void;
  batchnorm(N: number, C: number, spatial: number, x: F32, scale: F32, bias: F32, mean: F32, variance: F32,
    epsilon: number, y: F32, sync: RunMode): MaybePromise;
}

/**
 * The CUDA functions of a CUDA build (native/cuda_memory_binding.cc, native/cuda_kernels_binding.cc).
 * Device buffers are integer ids; a buffer argument is (id, element offset), -1 for an absent one.
 * Launches return a Promise settled when the work has run on the GPU; failures carry a LeptonError `code`.
 */
export interface CudaAddon {
  cudaAlloc(device: number, bytes: number): number;
  cudaFree(id: number): void;
  cudaWrite(id: number, byteOffset: number, src: ArrayBufferView): Promise<void>;
  cudaRead(id: number, byteOffset: number, dst: ArrayBufferView): Promise<void>;
  cudaSynchronize(device: number): Promise<void>;
  cudaMemoryStats(device: number): Record<string, number | string>;
  cudaEmptyCache(device: number): void;
  /** ints: M N K aRs aCs bRs bCs ldc activation dtype(0 f32, 1 f16, 2 bf16) precision(0 highest, 1 tf32) batchRank batch[4] aBatchStrides[4] bBatchStrides[4]. */
  cudaGemm(device: number, ints: number[], alpha: number, beta: number, a: number, aOff: number, b: number, bOff: number,
    c: number, cOff: number, rowBias: number, rowBiasOff: number, colBias: number, colBiasOff: number): Promise<void>;
  cudaConv2d(device: number, params: number[], activation: number, x: number, xOff: number, w: number, wOff: number,
    bias: number, biasOff: number, y: number, yOff: number): Promise<void>;
  cudaReduce(device: number, op: number, shape: readonly number[], strides: readonly number[], mask: number, x: number, xOff: number,
    y: number, yOff: number): Promise<void>;
  cudaArgReduce(device: number, isMax: boolean, selectLast: boolean, shape: readonly number[], strides: readonly number[], axis: number,
    x: number, xOff: number, y: number, yOff: number): Promise<void>;
  cudaBinary(device: number, op: number, outShape: readonly number[], a: number, aOff: number, aStrides: readonly number[],
    b: number, bOff: number, bStrides: readonly number[], y: number, yOff: number): Promise<void>;
  cudaUnary(device: number, op: number, x: number, xOff: number, n: number, y: number, yOff: number): Promise<void>;
  cudaClip(device: number, x: number, xOff: number, n: number, lo: number, hi: number, y: number, yOff: number): Promise<void>;
  cudaSoftmax(device: number, outer: number, len: number, inner: number, log: boolean, x: number, xOff: number, y: number, yOff: number): Promise<void>;
  cudaPool2d(device: number, params: number[], isMax: boolean, x: number, xOff: number, y: number, yOff: number, indices: number, indicesOff: number): Promise<void>;
  cudaBatchnorm(device: number, N: number, C: number, spatial: number, epsilon: number, x: number, xOff: number, scale: number, scaleOff: number,
    bias: number, biasOff: number, mean: number, meanOff: number, variance: number, varianceOff: number, y: number, yOff: number): Promise<void>;
  cudaCopy(device: number, elementSize: number, shape: readonly number[], srcStrides: readonly number[], src: number, srcOff: number,
    dstStrides: readonly number[], dst: number, dstOff: number): Promise<void>;
}

export interface CudaInfo {
  compiled: boolean;
  /** SASS and PTX targets compiled in, e.g. "sm_80,sm_86,sm_89,sm_90,compute_90". */
  architectures?: string;
  /** CUDA encodes versions as 1000*major + 10*minor; 0 means no driver. */
  driverVersion?: number;
  runtimeVersion?: number;
  devices: Array<{ name?: string; memoryBytes?: number; computeCapability?: string; multiprocessors?: number; error?: string }>;
  reason?: string;
}

export interface NativeStatus {
  /** Where the addon came from: a prebuilt binary, a local build, or none (TS reference kernels run). */
  source: 'prebuild' | 'build' | 'none';
  path?: string;
  /** Why no addon is in use, or why earlier candidates were skipped. */
  reason?: string;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/**
 * Candidates in order: prebuilds/<platform>-<arch>/, then the local cmake-js / node-gyp build.
 * A local build newer than the prebuild goes first: a developer who rebuilt wants their build.
 */
function candidates(): Array<{ source: 'prebuild' | 'build'; path: string }> {
  const platformDir = join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  const prebuild = { source: 'prebuild' as const, path: join(platformDir, 'lepton.napi.node') };
  const build = { source: 'build' as const, path: join(packageRoot, 'build', 'Release', 'lepton.node') };
  const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : -1);
  return mtime(build.path) > mtime(prebuild.path) && mtime(prebuild.path) >= 0 ? [build, prebuild] : [prebuild, build];
}

function load(): { addon?: NativeAddon; status: NativeStatus } {
  if (process.env.LEPTON_NATIVE === 'off') {
    return { status: { source: 'none', reason: 'disabled by LEPTON_NATIVE=off' } };
  }
  const problems: string[] = [];
  const override = process.env.LEPTON_NATIVE_PATH;
  const list = override ? [{ source: 'build' as const, path: override }] : candidates();
  for (const c of list) {
    if (!existsSync(c.path)) {
      problems.push(`${c.source}: ${c.path} not found`);
      continue;
    }
    try {
      const addon = require(c.path) as NativeAddon;
      return { addon, status: { source: c.source, path: c.path, reason: problems.length ? problems.join('; ') : undefined } };
    } catch (err) {
      problems.push(`${c.source}: ${c.path} failed to load (${(err as Error).message.split('\n')[0]})`);
    }
  }
  return {
    status: {
      source: 'none',
      reason: `${problems.join('; ')}. Fix: run \`npm run build:native\` (needs cmake and a C++17 compiler) or reinstall lepton-compute for a platform with prebuilt binaries`,
    },
  };
}

const loaded = load();
let warned = false;

/** The native addon, or undefined when none could load (then the TS reference kernels run). */
export const native: NativeAddon | undefined = loaded.addon;
export const nativeStatus: NativeStatus = loaded.status;

/** Warns once, on first use, that the slow reference kernels are running. */
export function warnIfNoNative(): void {
  if (native || warned) return;
  warned = true;
  process.emitWarning(`lepton-compute: native CPU kernels unavailable, using TypeScript reference kernels: ${nativeStatus.reason}`, {
    code: 'LEPTON_NO_NATIVE',
  });
}
