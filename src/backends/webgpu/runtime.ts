/// <reference types="@webgpu/types" />
// The WebGPU device's machinery: programs and their pipeline cache, a buffer pool, batched command
// encoding (many dispatches per submit), uniforms, and mapping WebGPU errors to LeptonError codes.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LeptonError } from '../../errors.js';

/** A device buffer as tensors' storage holds it: `size` bytes, usable as STORAGE | COPY_SRC | COPY_DST. */
export interface GpuBuffer {
  readonly buffer: GPUBuffer;
  readonly size: number;
}

/** Binding kinds of a program, in binding order: inputs 'read', outputs 'write'; the uniform block is bound last. */
export type BindingKind = 'read' | 'write';

/**
 * One compute program: WGSL files concatenated (a shared core plus op-specific load/store steps),
 * `{{NAME}}` placeholders substituted, `override` constants set. Everything that changes the
 * compiled code is in the pipeline key; shapes go in uniforms.
 */
export interface Program {
  readonly name: string;
  /** File stems in kernels/wgsl, concatenated in order. */
  readonly files: readonly string[];
  readonly placeholders?: Readonly<Record<string, string>>;
  readonly constants?: Readonly<Record<string, number>>;
  readonly bindings: readonly BindingKind[];
}

export interface Dispatch {
  readonly program: Program;
  /** Buffers in binding order (matching program.bindings). */
  readonly buffers: readonly GpuBuffer[];
  /** The uniform block: 4-byte words, at most UNIFORM_BYTES. */
  readonly uniforms: ArrayBuffer;
  readonly workgroups: readonly [number, number, number];
}

// WebGPU's flag values (spec constants): Dawn's node bindings do not define the GPU* globals.
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const STAGE_COMPUTE = 0x4;
const MAP_READ = 0x1;

export const UNIFORM_BYTES = 256;
/** Uniform blocks per batch buffer: a batch is submitted when it fills. */
const UNIFORM_SLOTS = 256;

// The package's kernels/wgsl folder (src/ and dist/ both sit two levels below the package root);
// LEPTON_WGSL_DIR (absolute, or relative to the working directory) overrides it.
const KERNEL_DIR = process.env.LEPTON_WGSL_DIR
  ? pathToFileURL(`${resolve(process.env.LEPTON_WGSL_DIR)}/`)
  : new URL('../../../kernels/wgsl/', import.meta.url);
const sources = new Map<string, string>();

function wgslFile(stem: string): string {
  let text = sources.get(stem);
  if (text === undefined) {
    try {
      text = readFileSync(new URL(`${stem}.wgsl`, KERNEL_DIR), 'utf8');
    } catch (err) {
      throw new LeptonError('KERNEL_ERROR', `webgpu: kernel source ${stem}.wgsl must exist in ${KERNEL_DIR.pathname}, got ${(err as Error).message}`);
    }
    sources.set(stem, text);
  }
  return text;
}

/** The final WGSL of a program. */
export function programSource(p: Program): string {
  let text = p.files.map(wgslFile).join('\n');
  for (const [k, v] of Object.entries(p.placeholders ?? {})) text = text.split(`{{${k}}}`).join(v);
  const left = /\{\{(\w+)\}\}/.exec(text);
  if (left) throw new LeptonError('KERNEL_ERROR', `webgpu: program ${p.name} must set placeholder ${left[1]}, got none`);
  return text;
}

/** The pipeline cache key: name, files, placeholders and constants, in a stable order. */
export function programKey(p: Program): string {
  const kv = (o: Readonly<Record<string, string | number>> | undefined) => Object.keys(o ?? {}).sort().map((k) => `${k}=${o![k]}`).join(',');
  return `${p.name}|${p.files.join('+')}|${kv(p.placeholders)}|${kv(p.constants)}|${p.bindings.join('')}`;
}

/** Rounds a byte size to a pool size class: multiples of 256 B, then 1/8 steps of a power of two (<= 12.5% waste). */
function sizeClass(bytes: number): number {
  const n = Math.max(256, Math.ceil(bytes / 256) * 256);
  if (n <= 64 * 1024) return n;
  const step = 2 ** (Math.floor(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}

interface Batch {
  encoder: GPUCommandEncoder;
  pass: GPUComputePassEncoder | undefined;
  uniforms: GPUBuffer;
  uniformData: Uint8Array;
  slots: number;
  /** Buffers to return to the pool once the GPU has finished this batch. */
  afterward: GpuBuffer[];
  /** Storages this batch writes: an asynchronous error is recorded on them. */
  onError: ((err: LeptonError) => void)[];
}

/** Maps a WebGPU error (or device loss) to a LeptonError with a stable code. */
export function gpuError(what: string, err: unknown): LeptonError {
  if (err instanceof LeptonError) return err;
  const e = err as { constructor?: { name?: string }; message?: string };
  const type = e?.constructor?.name ?? '';
  const message = e?.message ?? String(err);
  if (type === 'GPUOutOfMemoryError' || /out of memory|OOM/i.test(message)) return new LeptonError('OUT_OF_MEMORY', `${what}: webgpu ran out of memory: ${message}`, { cause: err });
  if (/device.*lost|lost device|destroyed device/i.test(message)) return new LeptonError('DEVICE_LOST', `${what}: webgpu device lost: ${message}`, { cause: err });
  return new LeptonError('KERNEL_ERROR', `${what}: webgpu error: ${message}`, { cause: err });
}

export class GpuRuntime {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  /** Set once the device is lost; every later call rejects with it. */
  lost: LeptonError | undefined;
  /** Called once when the device is lost. */
  onLost: ((err: LeptonError) => void) | undefined;
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly layouts = new Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>();
  private readonly pool = new Map<number, GPUBuffer[]>();
  private readonly uniformPool: GPUBuffer[] = [];
  private batch: Batch | undefined;
  /** Error-scope results of buffer creations not yet attached to a batch. */
  private pendingChecks: Promise<GPUError | null>[] = [];
  private flushScheduled = false;
  private inFlight = new Set<Promise<void>>();
  /** Counters for tests and profiling. */
  readonly stats = { pipelinesCompiled: 0, pipelineHits: 0, submits: 0, dispatches: 0, buffersCreated: 0, bufferReuses: 0 };
  private destroyed = false;

  constructor(device: GPUDevice) {
    this.device = device;
    this.limits = device.limits;
    device.lost.then((info) => {
      if (this.destroyed) return;
      this.lost = new LeptonError('DEVICE_LOST', `webgpu: device lost (${info.reason}): ${info.message}`);
      this.onLost?.(this.lost);
    }, () => undefined);
    device.addEventListener?.('uncapturederror', (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      if (process.env.LEPTON_DEBUG_WEBGPU) console.warn(`lepton-compute: webgpu uncaptured error: ${err.message}`);
    });
  }

  checkAlive(what: string): void {
    if (this.lost) throw new LeptonError('DEVICE_LOST', `${what}: ${this.lost.message}`);
  }

  /** A pooled buffer of at least `bytes` (refusing what the device cannot bind). */
  acquire(bytes: number, what: string): GpuBuffer {
    this.checkAlive(what);
    const max = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    if (bytes > max) {
      throw new LeptonError('OUT_OF_MEMORY', `${what}: tensor size must be at most maxStorageBufferBindingSize ${max} bytes on this webgpu device, got ${bytes} bytes`);
    }
    const size = Math.min(sizeClass(bytes), Math.floor(max / 4) * 4);
    const free = this.pool.get(size);
    const reused = free?.pop();
    if (reused) {
      this.stats.bufferReuses++;
      return { buffer: reused, size };
    }
    this.stats.buffersCreated++;
    // Out-of-memory is reported asynchronously: the scope's result joins the next batch's checks.
    this.device.pushErrorScope('out-of-memory');
    const buffer = this.device.createBuffer({ size, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST, label: what });
    this.pendingChecks.push(this.device.popErrorScope());
    return { buffer, size };
  }

  /** Returns a buffer to the pool. Later GPU work is ordered after earlier work on the queue, so reuse is safe. */
  release(b: GpuBuffer): void {
    if (this.destroyed) return;
    let free = this.pool.get(b.size);
    if (!free) this.pool.set(b.size, (free = []));
    free.push(b.buffer);
  }

  /** Releases a temporary once the current batch has run. */
  releaseAfterBatch(b: GpuBuffer): void {
    if (this.batch) this.batch.afterward.push(b);
    else this.release(b);
  }

  /** Frees all pooled buffers (not those held by tensors). */
  trimPool(): void {
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
  }

  /** Compiles (or finds) the pipeline of a program. Compilation errors reject with KERNEL_ERROR. */
  pipeline(p: Program): Promise<GPUComputePipeline> {
    const key = programKey(p);
    let entry = this.pipelines.get(key);
    if (entry) {
      this.stats.pipelineHits++;
      return entry;
    }
    const code = programSource(p);
    if (process.env.LEPTON_DUMP_WGSL === '1') console.log(`// ---- lepton-compute webgpu program ${p.name}\n// key: ${key}\n${code}`);
    const module = this.device.createShaderModule({ code, label: p.name });
    const layout = this.layout(p.bindings);
    this.stats.pipelinesCompiled++;
    entry = this.device
      .createComputePipelineAsync({ label: key, layout: layout.pipeline, compute: { module, entryPoint: 'main', constants: { ...p.constants } } })
      .catch(async (err) => {
        this.pipelines.delete(key);
        const info = await module.getCompilationInfo?.().catch(() => undefined);
        const messages = info?.messages.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ') ?? '';
        throw new LeptonError('KERNEL_ERROR', `webgpu: program ${p.name} must compile, got ${(err as Error).message}${messages ? ` (${messages})` : ''}`, { cause: err });
      });
    this.pipelines.set(key, entry);
    return entry;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  private layout(bindings: readonly BindingKind[]): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
    const key = bindings.join('');
    let l = this.layouts.get(key);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = bindings.map((kind, i) => ({
        binding: i, visibility: STAGE_COMPUTE, buffer: { type: kind === 'read' ? 'read-only-storage' : 'storage' },
      }));
      entries.push({ binding: bindings.length, visibility: STAGE_COMPUTE, buffer: { type: 'uniform' } });
      const group = this.device.createBindGroupLayout({ entries, label: key });
      l = { group, pipeline: this.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
      this.layouts.set(key, l);
    }
    return l;
  }

  private currentBatch(): Batch {
    if (!this.batch) {
      const uniforms = this.uniformPool.pop() ??
        this.device.createBuffer({ size: UNIFORM_BYTES * UNIFORM_SLOTS, usage: USAGE.UNIFORM | USAGE.COPY_DST, label: 'uniforms' });
      this.batch = {
        encoder: this.device.createCommandEncoder(), pass: undefined, uniforms,
        uniformData: new Uint8Array(UNIFORM_BYTES * UNIFORM_SLOTS), slots: 0, afterward: [], onError: [],
      };
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Everything encoded during this turn of the event loop (and the chain of ready kernels) goes in one submit.
      setImmediate(() => this.flush());
    }
    return this.batch;
  }

  /** Encodes dispatches (in order) into the current batch. Pipelines must be compiled first (see pipeline()). */
  async encode(what: string, dispatches: readonly Dispatch[], onError?: (err: LeptonError) => void): Promise<void> {
    this.checkAlive(what);
    const pipes = await Promise.all(dispatches.map((d) => this.pipeline(d.program)));
    this.checkAlive(what);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    for (const d of dispatches) {
      if (d.workgroups.some((n) => n > max)) {
        throw new LeptonError('OUT_OF_MEMORY', `${what}: workgroup count must be at most maxComputeWorkgroupsPerDimension ${max} per dimension, got [${d.workgroups.join(',')}] for program ${d.program.name}`);
      }
    }
    if (this.batch && this.batch.slots + dispatches.length > UNIFORM_SLOTS) this.flush();
    const batch = this.currentBatch();
    if (onError) batch.onError.push(onError);
    dispatches.forEach((d, i) => {
      if (d.workgroups.some((n) => n === 0)) return;
      const slot = batch.slots++;
      batch.uniformData.set(new Uint8Array(d.uniforms), slot * UNIFORM_BYTES);
      const entries: GPUBindGroupEntry[] = d.buffers.map((b, j) => ({ binding: j, resource: { buffer: b.buffer } }));
      entries.push({ binding: d.buffers.length, resource: { buffer: batch.uniforms, offset: slot * UNIFORM_BYTES, size: UNIFORM_BYTES } });
      const group = this.device.createBindGroup({ layout: this.layout(d.program.bindings).group, entries });
      batch.pass ??= batch.encoder.beginComputePass();
      batch.pass.setPipeline(pipes[i]!);
      batch.pass.setBindGroup(0, group);
      batch.pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
      this.stats.dispatches++;
    });
  }

  /** Encodes a buffer copy into the current batch (after the dispatches encoded so far). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    const batch = this.currentBatch();
    if (batch.pass) {
      batch.pass.end();
      batch.pass = undefined;
    }
    batch.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submits the current batch. Validation and out-of-memory errors are recorded on the storages it writes. */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.batch;
    this.batch = undefined;
    if (!batch || this.lost) return;
    batch.pass?.end();
    const { device } = this;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    if (batch.slots > 0) device.queue.writeBuffer(batch.uniforms, 0, batch.uniformData, 0, batch.slots * UNIFORM_BYTES);
    device.queue.submit([batch.encoder.finish()]);
    this.stats.submits++;
    const validation = device.popErrorScope();
    const oom = device.popErrorScope();
    const checks = this.pendingChecks;
    this.pendingChecks = [];
    const done = Promise.all([validation, oom, Promise.all(checks), device.queue.onSubmittedWorkDone()]).then(([v, o, created]) => {
      const err = created.find((e) => e) ?? o ?? v;
      if (err) {
        const e = gpuError('webgpu', err);
        for (const f of batch.onError) f(e);
      }
    }, (err) => {
      const e = gpuError('webgpu', this.lost ?? err);
      for (const f of batch.onError) f(e);
    }).finally(() => {
      this.uniformPool.push(batch.uniforms);
      for (const b of batch.afterward) this.release(b);
      this.inFlight.delete(done);
    });
    this.inFlight.add(done);
  }

  /** Submits pending work and waits until the GPU has finished everything submitted. */
  async sync(): Promise<void> {
    this.flush();
    await Promise.all([...this.inFlight]);
  }

  /** Uploads host bytes (length padded to 4) into a buffer. Pending dispatches go first: they may read the old contents. */
  write(target: GpuBuffer, bytes: Uint8Array, what: string): void {
    this.checkAlive(what);
    this.flush();
    const n = bytes.byteLength & ~3;
    if (n > 0) this.device.queue.writeBuffer(target.buffer, 0, bytes.buffer, bytes.byteOffset, n);
    if (n < bytes.byteLength) {
      const tail = new Uint8Array(4);
      tail.set(bytes.subarray(n));
      this.device.queue.writeBuffer(target.buffer, n, tail);
    }
  }

  /** Copies `bytes` from a buffer (offset a multiple of 4) back to the host, after all pending work. */
  async read(src: GPUBuffer, offset: number, bytes: number, what: string): Promise<ArrayBuffer> {
    this.checkAlive(what);
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.device.createBuffer({ size, usage: USAGE.MAP_READ | USAGE.COPY_DST, label: 'readback' });
    try {
      this.copy(src, offset, staging, 0, size);
      this.flush();
      await staging.mapAsync(MAP_READ).catch((err) => {
        throw gpuError(what, this.lost ?? err);
      });
      return staging.getMappedRange(0, size).slice(0, bytes);
    } finally {
      staging.destroy();
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.trimPool();
    this.device.destroy();
  }
}
