// The webgpu device itself: discovery, pipeline cache, limits, errors, process exit, and shapes
// that stress the kernels' tiling and multi-pass paths. The per-op suites in test/ops also run on it.
import { jest } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lc from '../../src/index.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { gemm } from '../../src/ops/gemm.js';
import { matmul } from '../../src/ops/matmul.js';
import { webgpuBackend } from '../../src/backends/webgpu/register.js';
import { programKey } from '../../src/backends/webgpu/runtime.js';
import { matmulProgram } from '../../src/backends/webgpu/kernels/matmul.js';
import { expectClose, referenceOutputs } from '../helpers/compare.js';
import { randomArray } from '../helpers/random.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const info = lc.devices().find((d) => d.kind === 'webgpu');
const required = (process.env.LEPTON_REQUIRE_DEVICES ?? '').split(',').map((s) => s.trim()).includes('webgpu');
const available = info?.available === true && webgpuBackend !== undefined;
if (!available) {
  if (required) throw new Error(`LEPTON_REQUIRE_DEVICES names webgpu, but it is unavailable: ${info?.reason ?? 'not registered'}`);
  console.log(`skipping webgpu tests: ${info?.reason ?? 'webgpu is not registered'}`);
}
const describeGpu = available ? describe : describe.skip;
const GPU = 'webgpu:0';

// Tests that compile many GEMM pipelines (each tile height x B layout x skinny core): a software adapter
// (llvmpipe) JIT-compiles each in seconds, more on a busy machine.
const COMPILE_HEAVY_MS = 600_000;

const tol = (K: number) => ({ atol: 4e-7 * Math.max(K, 1) + 1e-6, rtol: 1e-5 });

function gpuTensor(shape: number[], seed: number, lo = -1, hi = 1): lc.Tensor {
  return lc.tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape, { device: GPU });
}

/** A host copy of a device tensor, complete when awaited (t.to('cpu') fills its storage asynchronously). */
async function host(t: lc.Tensor | undefined): Promise<lc.Tensor | undefined> {
  return t && lc.tensor(await t.data(), t.shape, { dtype: t.dtype });
}

async function hosts(ts: readonly (lc.Tensor | undefined)[]): Promise<(lc.Tensor | undefined)[]> {
  return Promise.all(ts.map(host));
}

describe('webgpu discovery', () => {
  test('devices() lists webgpu:0 with its adapter, or why not', () => {
    expect(info).toBeDefined();
    expect(info!.id).toBe('webgpu:0');
    if (!info!.available) {
      expect(typeof info!.reason).toBe('string');
      return;
    }
    expect(typeof info!.name).toBe('string');
    expect(typeof info!.backend).toBe('string');
    expect((info!.limits as Record<string, number>).maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(info!.features)).toBe(true);
  });
});

describeGpu('webgpu device', () => {
  test('tensors round-trip through the device, views included', async () => {
    const host = lc.tensor(randomArray(24, 1), [2, 3, 4]);
    const t = host.to(GPU);
    expect(t.device).toBe(GPU);
    expect(Array.from(await t.data())).toEqual(Array.from(await host.data()));
    const view = lc.transpose(t, { perm: [2, 0, 1] });
    expect(Array.from(await view.data())).toEqual(Array.from(await lc.transpose(host, { perm: [2, 0, 1] }).data()));
    const ints = lc.tensor([1n, -2n, 3n], [3], { dtype: 'int64', device: GPU });
    expect(Array.from(await ints.data())).toEqual([1n, -2n, 3n]);
    const bytes = lc.tensor([1, 0, 1], [3], { dtype: 'bool', device: GPU });
    expect(Array.from(await bytes.data())).toEqual([1, 0, 1]);
  });

  test('matmul tile edges, batches and K >= 4096', async () => {
    const cases: Array<[number[], number[]]> = [
      [[1, 1], [1, 1]], [[63, 65], [65, 17]], [[64, 64], [64, 64]], [[65, 16], [16, 129]],
      [[129, 257], [257, 3]], [[2, 1, 70, 9], [3, 9, 66]], [[5, 4097], [4097, 7]], [[2, 8200], [8200, 3]],
      // N % 4 == 0: B read as vec4 (with broadcast batches, odd M and K, N not a multiple of the tile).
      [[3, 70, 33], [33, 68]], [[2, 1, 5, 13], [3, 13, 128]], [[1, 4100], [4100, 4]], [[7], [7, 12]],
      // A few rows: the skinny core (rows 1, 2, 4 per invocation; several column workgroups; batches).
      [[4, 1030], [1030, 260]], [[2, 3, 9], [9, 5]], [[20, 33], [33, 70]],
    ];
    for (const [as, bs] of cases) {
      const a = gpuTensor(as, 3), b = gpuTensor(bs, 4);
      const y = lc.matmul(a, b);
      expect(y.device).toBe(GPU);
      const { info: mi, outputs } = referenceOutputs(matmul, await hosts([a, b]), {});
      expectClose(await y.data(), outputs[0]! as Float64Array, tol(mi.K), `${as} x ${bs}`);
    }
  }, COMPILE_HEAVY_MS);

  test('large matmul (256 x 1000 x 300) with a relu epilogue and a transposed view', async () => {
    const a = gpuTensor([256, 1000], 5);
    const bt = gpuTensor([300, 1000], 6);
    const b = lc.transpose(bt, { perm: [1, 0] });
    const y = lc.matmul(a, b, { activation: 'relu' });
    const { outputs } = referenceOutputs(matmul, await hosts([a, b]), { activation: 'relu' });
    expectClose(await y.data(), outputs[0]! as Float64Array, tol(1000), 'relu(a b^T)');
  });

  test('gemm: transA, transB, alpha, beta, broadcast C', async () => {
    for (const [transA, transB, cShape, N] of [[false, false, [1, 37], 37], [true, false, [45, 37], 37], [false, true, [37], 37], [true, true, [45, 1], 37],
      [false, false, [45, 40], 40], [true, false, [40], 40]] as const) {
      const a = gpuTensor(transA ? [70, 45] : [45, 70], 7), b = gpuTensor(transB ? [N, 70] : [70, N], 8), c = gpuTensor([...cShape], 9);
      const attrs = { transA, transB, alpha: 0.5, beta: -2 };
      const y = lc.gemm(a, b, c, attrs);
      const { outputs } = referenceOutputs(gemm, await hosts([a, b, c]), attrs);
      expectClose(await y.data(), outputs[0]! as Float64Array, tol(70), `gemm ${transA} ${transB} ${cShape}`);
    }
  });

  test('conv2d: implicit GEMM and depthwise, strides, pads, dilations, groups, bias, relu', async () => {
    const configs = [
      { x: [1, 3, 17, 19], w: [8, 3, 3, 3], opts: { pads: [1, 1, 1, 1] } },
      { x: [2, 6, 15, 9], w: [9, 2, 3, 2], opts: { groups: 3, strides: [2, 1], dilations: [1, 2], pads: [0, 1, 2, 1] } },
      { x: [1, 8, 12, 12], w: [16, 1, 3, 3], opts: { groups: 8, strides: [2, 2], autoPad: 'SAME_UPPER' as const } },
      { x: [2, 70, 9, 9], w: [70, 70, 1, 1], opts: { activation: 'relu' as const } },
    ];
    for (const [i, c] of configs.entries()) {
      const x = gpuTensor(c.x, 10 + i), w = gpuTensor(c.w, 20 + i), bias = gpuTensor([c.w[0]!], 30 + i);
      const y = lc.conv2d(x, w, { ...c.opts, bias });
      expect(y.device).toBe(GPU);
      const { outputs } = referenceOutputs(conv2d, await hosts([x, w, bias]), c.opts);
      const K = c.w[1]! * c.w[2]! * c.w[3]!;
      expectClose(await y.data(), outputs[0]! as Float64Array, tol(K), JSON.stringify(c));
    }
  });

  test('multi-pass reductions of 2^22 + 3 elements', async () => {
    const n = 2 ** 22 + 3;
    const host = randomArray(n, 11);
    const x = lc.tensor(host, [n], { device: GPU });
    let sum = 0, max = -Infinity, sq = 0;
    for (const v of host) { sum += v; max = Math.max(max, v); sq += v * v; }
    let lse = 0;
    for (const v of host) lse += Math.exp(v - max);
    const [s, m, l2, lse32, mean] = await Promise.all([lc.sum(x), lc.max(x), lc.l2(x), lc.logSumExp(x), lc.mean(x)].map((t) => t.data()));
    expect(Math.abs(s![0]! - sum)).toBeLessThan(1e-3 * Math.sqrt(n) * 1e-1 + 0.5);
    expect(m![0]).toBe(Math.fround(max));
    expect(Math.abs(l2![0]! - Math.sqrt(sq)) / Math.sqrt(sq)).toBeLessThan(1e-5);
    expect(Math.abs(lse32![0]! - (max + Math.log(lse)))).toBeLessThan(1e-4);
    expect(Math.abs(mean![0]! - sum / n)).toBeLessThan(1e-6);
    // A long reduced axis in the middle (gathered, then multi-pass).
    const mid = randomArray(3 * 2 ** 20 * 2, 12);
    const y = lc.sum(lc.tensor(mid, [3, 2 ** 20, 2], { device: GPU }), { axes: [1], keepdims: false });
    const expected = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2 ** 20; j++) for (let k = 0; k < 2; k++) expected[i * 2 + k]! += mid[(i * 2 ** 20 + j) * 2 + k]!;
    expectClose(await y.data(), expected, { atol: 0.05, rtol: 1e-5 }, 'sum over axis 1');
  });

  test('a small CNN stays on the device', async () => {
    const fallbacks: string[] = [];
    const off = lc.onFallback((e) => fallbacks.push(`${e.op}: ${e.reason}`));
    const x = gpuTensor([2, 3, 16, 16], 40);
    const w1 = gpuTensor([8, 3, 3, 3], 41), w2 = gpuTensor([10, 8 * 8 * 8], 42);
    let h = lc.relu(lc.conv2d(x, w1, { pads: [1, 1, 1, 1] }));
    h = lc.maxPool2d(h, { kernelShape: [2, 2], strides: [2, 2] });
    const flat = lc.flatten(h, { axis: 1 });
    const logits = lc.matmul(flat, lc.transpose(w2, { perm: [1, 0] }));
    const p = lc.softmax(logits, { axis: -1 });
    const am = lc.argmax(p, { axis: 1 });
    off();
    expect(fallbacks).toEqual([]);
    for (const t of [h, flat, logits, p, am]) expect(t.device).toBe(GPU);
    const sums = await lc.sum(p, { axes: [1] }).data();
    expectClose(sums, [1, 1], { atol: 1e-5, rtol: 0 }, 'softmax rows');
    expect((await am.data()).length).toBe(2);
  });

  test('pipelines are cached by a key of every specialisation; shapes do not recompile', async () => {
    const a = gpuTensor([33, 20], 50), b = gpuTensor([20, 7], 51);
    await lc.matmul(a, b).data();
    const rt = webgpuBackend!.runtimeIfReady()!;
    const compiled = rt.stats.pipelinesCompiled;
    const c = gpuTensor([70, 40], 52), d = gpuTensor([40, 90], 53);
    await lc.matmul(c, d).data();
    expect(rt.stats.pipelinesCompiled).toBe(compiled);
    expect(programKey(matmulProgram(false, 'none'))).not.toBe(programKey(matmulProgram(false, 'relu')));
    expect(programKey(matmulProgram(true, 'none'))).toContain('HAS_C=1');
    const [w] = await lc.warmup({ device: GPU });
    expect(w!.pipelines).toBeGreaterThan(5);
  });

  test('many dispatches share one submit', async () => {
    const rt = webgpuBackend!.runtimeIfReady() ?? (await webgpuBackend!.runtime());
    let t = gpuTensor([1000], 60);
    await t.data();
    const before = rt.stats.submits;
    for (let i = 0; i < 20; i++) t = lc.add(t, t);
    await t.data();
    expect(rt.stats.submits - before).toBeLessThan(6);
  });

  test('too-large tensors are refused with OUT_OF_MEMORY; pinned unsupported ops with UNSUPPORTED_OP', async () => {
    const limit = (info!.limits as Record<string, number>).maxStorageBufferBindingSize;
    expect(() => webgpuBackend!.allocate('float32', Math.ceil(limit / 4) + 1)).toThrow(expect.objectContaining({ code: 'OUT_OF_MEMORY' }));
    try {
      webgpuBackend!.allocate('float32', Math.ceil(limit / 4) + 1);
    } catch (e) {
      expect((e as Error).message).toMatch(/maxStorageBufferBindingSize/);
    }
    const ints = lc.tensor([1, 2, 3], [3], { dtype: 'int32', device: GPU });
    expect(() => lc.matmul(ints, ints, { device: GPU })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_OP' }));
    // Unpinned: falls back to the CPU and still computes.
    expect(Array.from(await lc.matmul(ints, ints).data())).toEqual([14]);
  });

  test('LEPTON_DUMP_WGSL prints the final source of each new pipeline', async () => {
    const logs: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((m: unknown) => { logs.push(String(m)); });
    process.env.LEPTON_DUMP_WGSL = '1';
    try {
      await lc.clip(gpuTensor([10], 70), { min: -0.25, max: 0.125 }).data();
    } finally {
      delete process.env.LEPTON_DUMP_WGSL;
      spy.mockRestore();
    }
    expect(logs.some((l) => l.includes('program unary_f32') && l.includes('@compute'))).toBe(true);
  });

  test('the process exits on its own when the work is done', () => {
    // Built JS in a scratch folder next to the sources (kernels/wgsl is found through LEPTON_WGSL_DIR).
    const dir = join(ROOT, '.lepton-cache', 'webgpu-exit');
    mkdirSync(dir, { recursive: true });
    // Type errors elsewhere in the tree (work in progress) do not stop tsc from emitting.
    spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], { stdio: 'pipe' });
    expect(existsSync(join(dir, 'dist', 'index.js'))).toBe(true);
    const script = join(dir, 'exit.mjs');
    writeFileSync(script, `
      import * as lc from './dist/index.js';
      const a = lc.tensor(new Float32Array(64 * 64).fill(1), [64, 64], { device: 'webgpu:0' });
      const y = lc.matmul(a, a);
      const d = await y.data();
      console.log('done', lc.devices().find((x) => x.kind === 'webgpu').available, d[0]);
    `);
    if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const out = execFileSync(process.execPath, [script], { timeout: 60_000, env: { ...process.env, LEPTON_WGSL_DIR: join(ROOT, 'kernels', 'wgsl') }, encoding: 'utf8' });
    expect(out).toContain('done true 64');
  }, 180_000);

  // Last: it loses the device for the rest of this file.
  test('a lost device rejects kernels and reads with DEVICE_LOST and is reported unavailable', async () => {
    const t = gpuTensor([16], 80);
    await t.data();
    const rt = webgpuBackend!.runtimeIfReady()!;
    const queued = lc.relu(t);
    rt.device.destroy();
    await rt.device.lost;
    await new Promise((r) => setTimeout(r, 10));
    await expect(queued.data()).rejects.toMatchObject({ code: 'DEVICE_LOST' });
    await expect(t.data()).rejects.toMatchObject({ code: 'DEVICE_LOST' });
    const entry = lc.devices().find((d) => d.id === GPU)!;
    expect(entry.available).toBe(false);
    expect(entry.reason).toMatch(/lost/);
    // New work cannot be placed there; the runtime says why.
    expect(() => lc.relu(t)).toThrow(expect.objectContaining({ code: 'DEVICE_UNAVAILABLE' }));
  });
});
