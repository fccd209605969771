import { cpus, totalmem } from 'node:os';
import { allocate, type DType, type TypedArray } from '../../dtype.js';
import { native, nativeStatus, warnIfNoNative } from '../../native.js';
import type { OpDef, OpInfo } from '../../ops/op.js';
import { hostStorage, type Storage } from '../../storage.js';
import { gatherHost, type Tensor } from '../../tensor.js';
import type { Backend, DeviceInfo, Support } from '../backend.js';
import { cpuKernels } from './kernels/index.js';

/** Work below this many flops (and bytes) runs inline: a worker-thread hop would cost more than the kernel. */
const INLINE_FLOPS = 100_000;
const INLINE_BYTES = 256 * 1024;

/** The host CPU: native kernels when the addon loaded, else the TS reference kernels. Supports every op. */
export class CpuBackend implements Backend {
  readonly id = 'cpu';

  private cachedInfo?: DeviceInfo;

  /** Cached: os.cpus() alone costs ~0.7 ms, and the runtime looks devices up per op. */
  info(): DeviceInfo {
    return (this.cachedInfo ??= this.describe());
  }

  private describe(): DeviceInfo {
    const addonInfo = native?.info();
    return {
      id: 'cpu',
      kind: 'cpu',
      name: cpus()[0]?.model?.trim() || 'cpu',
      available: true,
      memoryBytes: totalmem(),
      kernels: native ? 'native' : 'reference',
      binary: nativeStatus.source,
      binaryPath: nativeStatus.path,
      isa: addonInfo?.isa ?? 'typescript',
      threads: addonInfo?.threads ?? 1,
      reason: native ? nativeStatus.reason : `TypeScript reference kernels: ${nativeStatus.reason}`,
    };
  }

  supports(): Support {
    return { ok: true };
  }

  allocate(dtype: DType, length: number): Storage {
    return hostStorage(dtype, allocate(dtype, length));
  }

  write(storage: Storage, data: TypedArray): void {
    (storage.data as TypedArray).set(data as never);
  }

  async read(t: Tensor): Promise<TypedArray> {
    return gatherHost(t.view());
  }

  execute(op: OpDef<any, any>, attrs: unknown, info: OpInfo, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[]): Promise<void> | void {
    const views = inputs.map((t) => t?.view());
    const outs = outputs.map((t) => t.view().data);
    const kernel = cpuKernels[op.name];
    if (native && kernel && kernel.accepts(info, views, attrs)) {
      const cost = op.cost(info);
      const sync = cost.flops < INLINE_FLOPS && cost.bytes < INLINE_BYTES;
      return kernel.run(native, info, views, outs, attrs, sync);
    }
    if (!native) warnIfNoNative();
    op.reference(info, views, outs);
  }
}

export const cpuBackend = new CpuBackend();
