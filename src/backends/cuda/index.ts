// The CUDA device: kernels/cuda/*.cu through the addon's cuda* bindings. Storage lives on the device
// (caching allocator); write/read go through pinned staging buffers on a copy stream; kernels run
// in order on one compute stream and execute() resolves when the GPU has run them.
import { arrayCtor, bytesPerElement, type DType, type TypedArray } from '../../dtype.js';
import { LeptonError } from '../../errors.js';
import type { CudaAddon } from '../../native.js';
import type { OpDef, OpInfo } from '../../ops/op.js';
import type { Storage } from '../../storage.js';
import { gatherHost, type Tensor, type TensorMeta } from '../../tensor.js';
import type { Backend, DeviceInfo, Support } from '../backend.js';
import { asCudaError } from './errors.js';
import { gather, MAX_RANK, type CudaContext, type CudaPrecision } from './kernel.js';
import { cudaKernels } from './kernels/index.js';
import { CudaStorage } from './storage.js';

const OPS = Object.keys(cudaKernels).sort();

export class CudaBackend implements Backend {
  readonly id: string;
  /**
   * float32 matmul/gemm precision: 'highest' (fp32 FMA, the default) or 'tf32' (tensor cores, inputs
   * rounded to 10 mantissa bits). LEPTON_CUDA_PRECISION=tf32 sets it at start-up.
   */
  precision: CudaPrecision = process.env.LEPTON_CUDA_PRECISION === 'tf32' ? 'tf32' : 'highest';
  /** Set once the device reported a sticky error: it is then out of every plan. */
  private lost: LeptonError | undefined;

  constructor(private readonly addon: CudaAddon, private readonly described: DeviceInfo, readonly index = 0) {
    this.id = `cuda:${index}`;
  }

  info(): DeviceInfo {
    return {
      ...this.described, id: this.id, kind: 'cuda', available: !this.lost, precision: this.precision,
      ...(this.lost ? { reason: this.lost.message } : {}),
      ops: OPS,
    };
  }

  supports(op: OpDef<any, any>, info: OpInfo, inputs: readonly (TensorMeta | undefined)[]): Support {
    const kernel = cudaKernels[op.name];
    if (!kernel) return { ok: false, reason: `no cuda kernel for ${op.name}` };
    if (this.lost) return { ok: false, reason: this.lost.message };
    return kernel.supports(info, inputs);
  }

  allocate(dtype: DType, length: number): Storage {
    this.checkAlive('allocate');
    return new CudaStorage(this.addon, this.index, dtype, length);
  }

  async write(storage: Storage, data: TypedArray): Promise<void> {
    const s = storage as CudaStorage;
    s.hold();
    try {
      await this.addon.cudaWrite(s.use('write'), 0, data);
    } catch (err) {
      throw this.failed('write', err);
    } finally {
      s.unhold();
    }
  }

  async execute(op: OpDef<any, any>, _attrs: unknown, info: OpInfo, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[]): Promise<void> {
    const kernel = cudaKernels[op.name];
    if (!kernel) throw new LeptonError('UNSUPPORTED_OP', `${op.name}: no cuda kernel`);
    this.checkAlive(op.name);
    // Capture every storage now: a tensor disposed while this kernel runs must keep its memory.
    const held = [...inputs, ...outputs].filter((t): t is Tensor => t !== undefined).map((t) => t.storage(op.name) as CudaStorage);
    for (const s of held) s.hold();
    const temps: CudaStorage[] = [];
    try {
      await kernel.run(this.context(op.name, temps), info, inputs, outputs);
    } catch (err) {
      throw this.failed(op.name, err);
    } finally {
      for (const t of temps) t.release();
      for (const s of held) s.unhold();
    }
  }

  async read(t: Tensor): Promise<TypedArray> {
    const s = t.storage('data') as CudaStorage;
    const Ctor = arrayCtor(t.dtype);
    if (t.size === 0) return new Ctor(0);
    s.hold();
    const temps: CudaStorage[] = [];
    try {
      if (t.contiguous) return await this.download(s.use('data'), t.offset, t.dtype, t.size);
      if (t.rank <= MAX_RANK) {
        const g = await gather(this.context('data', temps), t);
        return await this.download(g.id, 0, t.dtype, t.size);
      }
      const all = await this.download(s.use('data'), 0, t.dtype, s.length);
      return gatherHost({ data: all, shape: t.shape, strides: t.strides, offset: t.offset, dtype: t.dtype });
    } catch (err) {
      throw this.failed('data', err);
    } finally {
      for (const tmp of temps) tmp.release();
      s.unhold();
    }
  }

  /** Waits for all work queued on the device. */
  async sync(): Promise<void> {
    await this.addon.cudaSynchronize(this.index).catch((err) => {
      throw this.failed('sync', err);
    });
  }

  /** The device's caching-allocator counters (bytes in use, cached, peak, cache hits, OOM retries). */
  memoryStats(): Record<string, number | string> {
    return this.addon.cudaMemoryStats(this.index);
  }

  private async download(id: number, offset: number, dtype: DType, length: number): Promise<TypedArray> {
    const out = new (arrayCtor(dtype))(length);
    await this.addon.cudaRead(id, offset * bytesPerElement(dtype), out);
    return out;
  }

  private context(op: string, temps: CudaStorage[]): CudaContext {
    const ctx: CudaContext = {
      addon: this.addon, device: this.index, op, precision: this.precision,
      ref: (t) => ({ id: (t.storage(op) as CudaStorage).use(op), offset: t.offset }),
      temp: (dtype, length) => {
        const s = new CudaStorage(this.addon, this.index, dtype, length);
        temps.push(s);
        return s;
      },
      contiguous: (t) => (t.contiguous ? Promise.resolve(ctx.ref(t)) : gather(ctx, t)),
    };
    return ctx;
  }

  private checkAlive(what: string): void {
    if (this.lost) throw new LeptonError('DEVICE_LOST', `${what}: ${this.lost.message}`);
  }

  /** A coded LeptonError for a failure; DEVICE_LOST takes the device out of later plans. */
  private failed(what: string, err: unknown): LeptonError {
    const e = asCudaError(`${what} on ${this.id}`, err);
    if (e.code === 'DEVICE_LOST') this.lost ??= e;
    return e;
  }
}
