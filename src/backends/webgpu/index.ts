/// <reference types="@webgpu/types" />
// The WebGPU device: WGSL kernels through Dawn's node bindings (npm `webgpu`) or navigator.gpu.
// Discovery (adapter only) runs at import; the GPUDevice is created on first use (allocation is
// lazy: a tensor's buffer is made when a kernel or upload first needs it).
import { HeldStorage } from '../heldStorage.js';
import { arrayCtor, bytesPerElement, type DType, type TypedArray } from '../../dtype.js';
import { LeptonError } from '../../errors.js';
import type { OpDef, OpInfo } from '../../ops/op.js';
import type { Storage } from '../../storage.js';
import { gatherHost, type Tensor, type TensorMeta } from '../../tensor.js';
import type { Backend, DeviceInfo, Support } from '../backend.js';
import { describeAdapter, sharedDevice, usableFeatures, type Discovery } from './adapter.js';
import type { KernelContext } from './kernel.js';
import { copyable, gatherDispatch } from './kernels/gather.js';
import { webgpuKernels } from './kernels/index.js';
import { GpuRuntime, type Dispatch, type GpuBuffer, type Program } from './runtime.js';

/** A tensor's memory on the device. The buffer is created on first use and pooled on release. */
export class GpuStorage extends HeldStorage implements Storage {
  readonly device: string;
  readonly dtype: DType;
  readonly length: number;
  ready: Promise<void> = Promise.resolve();
  error?: LeptonError;
  private buf: GpuBuffer | undefined;

  constructor(private readonly backend: WebGpuBackend, dtype: DType, length: number) {
    super();
    this.device = backend.id;
    this.dtype = dtype;
    this.length = length;
  }

  get bytes(): number {
    return Math.max(4, Math.ceil((this.length * bytesPerElement(this.dtype)) / 4) * 4);
  }

  get handle(): GPUBuffer | undefined {
    return this.buf?.buffer;
  }

  /** The buffer, created on first use. */
  gpu(rt: GpuRuntime, what: string): GpuBuffer {
    if (this.released) throw new LeptonError('DISPOSED', `${what}: webgpu storage was released`);
    if (!this.buf) {
      this.buf = rt.acquire(this.bytes, what);
      this.backend.live.add(this);
    }
    return this.buf;
  }

  protected free(): void {
    const b = this.buf;
    this.buf = undefined;
    this.backend.live.delete(this);
    if (b) this.backend.runtimeIfReady()?.release(b);
  }
}

export class WebGpuBackend implements Backend {
  readonly id: string;
  private runtimePromise: Promise<GpuRuntime> | undefined;
  private rt: GpuRuntime | undefined;
  /** Storages holding device memory: a lost device marks them all failed. */
  readonly live = new Set<GpuStorage>();

  /** Optional features (shader-f16, subgroups) the device is created with. */
  readonly features: ReadonlySet<string>;

  constructor(private readonly found: Extract<Discovery, { ok: true }>, index = 0) {
    this.id = `webgpu:${index}`;
    this.features = usableFeatures(found.adapter);
  }

  get adapter(): GPUAdapter {
    return this.found.adapter;
  }

  info(): DeviceInfo {
    const d = describeAdapter(this.found.adapter, this.found.backend);
    const lost = this.rt?.lost;
    return {
      ...d, id: this.id, kind: 'webgpu', name: String(d.name), available: !lost,
      ...(lost ? { reason: lost.message } : {}),
      memoryBytes: this.found.adapter.limits.maxBufferSize,
      usedFeatures: [...this.features],
      ops: Object.keys(webgpuKernels).sort(),
    };
  }

  /** The device runtime, created on first call. */
  runtime(): Promise<GpuRuntime> {
    this.runtimePromise ??= (async () => {
      const adapter = this.found.adapter;
      const want: (keyof GPUSupportedLimits)[] = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
        'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxStorageBuffersPerShaderStage'];
      const requiredLimits: Record<string, number> = {};
      for (const k of want) requiredLimits[k] = adapter.limits[k] as number;
      const device = await sharedDevice(adapter, () => adapter.requestDevice({ requiredLimits, requiredFeatures: [...this.features] as GPUFeatureName[], label: 'lepton-compute' })).catch((err: Error) => {
        throw new LeptonError('DEVICE_UNAVAILABLE', `webgpu: requestDevice must succeed, got ${err.message}`);
      });
      this.rt = new GpuRuntime(device);
      this.rt.onLost = (err) => {
        for (const s of this.live) s.error ??= err;
      };
      return this.rt;
    })();
    this.runtimePromise.catch(() => {
      this.runtimePromise = undefined;
    });
    return this.runtimePromise;
  }

  runtimeIfReady(): GpuRuntime | undefined {
    return this.rt;
  }

  supports(op: OpDef<any, any>, info: OpInfo, inputs: readonly (TensorMeta | undefined)[]): Support {
    const kernel = webgpuKernels[op.name];
    if (!kernel) return { ok: false, reason: `no webgpu kernel for ${op.name}` };
    if (this.rt?.lost) return { ok: false, reason: this.rt.lost.message };
    return kernel.supports(info, inputs, this.found.adapter.limits, this.features);
  }

  allocate(dtype: DType, length: number): Storage {
    const bytes = length * bytesPerElement(dtype);
    const max = Math.min(this.found.adapter.limits.maxStorageBufferBindingSize, this.found.adapter.limits.maxBufferSize);
    if (bytes > max) {
      throw new LeptonError('OUT_OF_MEMORY', `webgpu: tensor size must be at most maxStorageBufferBindingSize ${max} bytes on ${this.id}, got ${bytes} bytes (${length} x ${dtype})`);
    }
    return new GpuStorage(this, dtype, length);
  }

  async write(storage: Storage, data: TypedArray): Promise<void> {
    const rt = await this.runtime();
    const s = storage as GpuStorage;
    rt.write(s.gpu(rt, 'write'), new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 'write');
  }

  async execute(op: OpDef<any, any>, attrs: unknown, info: OpInfo, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[]): Promise<void> {
    const kernel = webgpuKernels[op.name];
    if (!kernel) throw new LeptonError('UNSUPPORTED_OP', `${op.name}: no webgpu kernel`);
    // Capture every storage now: a tensor disposed while this kernel waits must not lose its buffer.
    const held = [...inputs, ...outputs].filter((t): t is Tensor => t !== undefined).map((t) => t.storage(op.name) as GpuStorage);
    for (const s of held) s.hold();
    try {
      const rt = await this.runtime();
      const outStorages = outputs.map((t) => t.storage(op.name) as GpuStorage);
      // No GPU round trip here, so that chains of kernels encode into one submit: errors the GPU
      // reports later (out of memory, validation) are recorded on the outputs and rethrown by data().
      const ctx = this.context(rt, op.name, (err) => {
        for (const s of outStorages) s.error ??= err;
      });
      await kernel.run(ctx, info, inputs, outputs, attrs);
    } finally {
      for (const s of held) s.unhold();
    }
  }

  private context(rt: GpuRuntime, op: string, onError: (err: LeptonError) => void): KernelContext {
    // Scratch buffers go back to the pool only after the batch holding this kernel's dispatches has run.
    let scratch: GpuBuffer[] = [];
    const releaseScratch = () => {
      for (const b of scratch) rt.releaseAfterBatch(b);
      scratch = [];
    };
    const ctx: KernelContext = {
      rt, op,
      buffer: (t) => (t.storage(op) as GpuStorage).gpu(rt, op),
      scratch: (bytes) => {
        const b = rt.acquire(bytes, `${op} scratch`);
        scratch.push(b);
        return b;
      },
      encode: async (dispatches: readonly Dispatch[]) => {
        try {
          await rt.encode(op, dispatches, onError);
        } finally {
          releaseScratch();
        }
      },
    };
    return ctx;
  }

  async read(t: Tensor): Promise<TypedArray> {
    const s = t.storage('data') as GpuStorage;
    s.hold();
    try {
      const rt = await this.runtime();
      const bpe = bytesPerElement(t.dtype);
      const Ctor = arrayCtor(t.dtype);
      if (t.size === 0) return new Ctor(0);
      const src = s.gpu(rt, 'data');
      const data = await this.readView(rt, t, src, bpe, Ctor);
      // An error the GPU reported for the batch that wrote this tensor is known once its checks settle.
      await rt.sync();
      if (s.error) throw s.error;
      return data;
    } finally {
      s.unhold();
    }
  }

  private async readView(rt: GpuRuntime, t: Tensor, src: GpuBuffer, bpe: number, Ctor: ReturnType<typeof arrayCtor>): Promise<TypedArray> {
    const s = t.storage('data') as GpuStorage;
    if (t.contiguous) return new Ctor(await readBytes(rt, src.buffer, t.offset * bpe, t.size * bpe));
    if (copyable(t.dtype) && t.rank < 8) {
      const dst = rt.acquire(t.size * bpe, 'data gather');
      try {
        await rt.encode('data', [gatherDispatch(src, dst, t.shape, t.strides, t.offset, t.dtype)]);
        return new Ctor(await readBytes(rt, dst.buffer, 0, t.size * bpe));
      } finally {
        rt.releaseAfterBatch(dst);
      }
    }
    // Other dtypes: read the whole storage and gather on the host.
    const all = new Ctor(await readBytes(rt, src.buffer, 0, s.length * bpe));
    return gatherHost({ data: all, shape: t.shape, strides: t.strides, offset: t.offset, dtype: t.dtype });
  }

  /** Compiles pipelines ahead of use. */
  async warmup(programs: readonly Program[]): Promise<number> {
    const rt = await this.runtime();
    await Promise.all(programs.map((p) => rt.pipeline(p)));
    return rt.pipelineCount;
  }

  /** Waits for all submitted GPU work. */
  async sync(): Promise<void> {
    await (await this.runtime()).sync();
  }
}

/** Reads bytes at any offset (copies must start at multiples of 4). */
async function readBytes(rt: GpuRuntime, buffer: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
  const start = offset & ~3;
  const data = await rt.read(buffer, start, bytes + (offset - start), 'data');
  return offset === start ? data : data.slice(offset - start);
}
