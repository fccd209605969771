import * as lc from '../../src/index.js';
import { native } from '../../src/native.js';
import { hostStorage } from '../../src/storage.js';
import { tensorOf } from '../../src/tensor.js';
import { randomArray, randomInt, rng } from './random.js';

// What the per-op suites (test/ops/*.test.ts) share: placing inputs on the device under test,
// reporting CPU fallbacks, sizing the native thread pool, capturing errors, strided inputs.

/**
 * Puts an input on `device`: the op runs there when that device supports it, else it falls back to
 * the CPU (as the runtime promises; `reportFallbacks` lists each fallback with its reason).
 */
export function on(device: string, t: lc.Tensor): lc.Tensor {
  return device === 'cpu' ? t : t.to(device);
}

/** `lc.tensor`, placed on `device`: `const put = putOn(device)` in a per-device suite. */
export function putOn(device: string): (...args: Parameters<typeof lc.tensor>) => lc.Tensor {
  return (...args) => on(device, lc.tensor(...args));
}

/**
 * Whether `device` must run float16 matmul/gemm/conv2d itself (webgpu with shader-f16): the float16
 * suites then check the output stayed there. Elsewhere (CPU: the reference) a fallback is allowed.
 */
export function runsFloat16(device: string): boolean {
  const d = lc.devices().find((x) => x.id === device) as (lc.DeviceInfo & { usedFeatures?: string[] }) | undefined;
  return d?.kind === 'webgpu' && (d.usedFeatures ?? []).includes('shader-f16');
}

/** Lists every CPU fallback once, with its reason, after the file's tests. Call at the top level of a test file. */
export function reportFallbacks(): void {
  const fallbacks = new Set<string>();
  lc.onFallback((e) => fallbacks.add(`${e.op} on ${e.from}: ${e.reason}`));
  afterAll(() => {
    if (fallbacks.size) console.log(`ran on the CPU instead (no kernel on that device):\n${[...fallbacks].join('\n')}`);
  });
}

/** Pool sizes the large cases run under (the native split and threaded paths depend on the count). */
export const THREADS = [1, 3, 16];

/**
 * Runs `fn` with the native thread pool at each size (the split and threaded paths depend on it), then
 * restores it. Without counts, without the addon or off the CPU, runs `fn` once as it is.
 */
export async function withThreads(device: string, counts: number[] | undefined, fn: () => Promise<void>): Promise<void> {
  if (!counts || !native || device !== 'cpu') return fn();
  const before = native.info().threads;
  try {
    for (const n of counts) {
      native.setThreads(n);
      await fn();
    }
  } finally {
    native.setThreads(before);
  }
}

/** What `fn` throws as "CODE: message" (the LeptonError's stable code first), or 'no error'. */
export function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return `${(e as lc.LeptonError).code}: ${(e as Error).message}`;
  }
  return 'no error';
}

/**
 * A float32 view of `shape` inside a larger buffer: permuted, padded strides and an offset (not
 * contiguous). `fill(n)` makes the n-element buffer; the layout is drawn from `seed`.
 */
export function stridedTensorOf(shape: readonly number[], seed: number, fill: (n: number) => Float32Array): lc.Tensor {
  const r = rng(seed);
  const order = [...shape.keys()].sort(() => r() - 0.5);
  const strides = new Array<number>(shape.length);
  let size = 1;
  for (const d of order.reverse()) {
    strides[d] = size;
    size *= shape[d]! + randomInt(r, 0, 2);
  }
  const offset = randomInt(r, 1, 3);
  return tensorOf(hostStorage('float32', fill(offset + size)), shape, strides, offset);
}

/** `stridedTensorOf` holding uniform random values in [lo, hi) drawn from `seed`. */
export function stridedTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): lc.Tensor {
  return stridedTensorOf(shape, seed, (n) => randomArray(n, seed, lo, hi));
}
