import { cpus, totalmem } from 'node:os';
import { allocate, type DType, type TypedArray } from '../../dtype.js';
import { native, nativeStatus, warnIfNoNative } from '../../native.js';
import type { OpDef, OpInfo } from '../../ops/op.js';
import { hostStorage, type Storage } from '../../storage.js';
import { gatherHost, type StridedView, type Tensor } from '../../tensor.js';
import type { Backend, DeviceInfo, Support } from '../backend.js';
import { cpuKernels } from './kernels/index.js';
import { pooledStorage } from './pool.js';
import type { CpuKernel } from './kernels/kernel.js';
import { cpuRecording } from './recorder.js';

/**
 * Work this small runs inline on the calling thread (still using the thread pool): a hop to a
 * worker thread and back costs ~50-200 us here, more than the kernel. The bounds keep the event
 * loop blocked for well under 0.1 ms (4 MFLOP at tens of GFLOP/s; 1 MiB at >10 GB/s).
 */
const INLINE_FLOPS = 4_000_000;
const INLINE_BYTES = 1024 * 1024;

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
    return pooledStorage(dtype, length);
  }

  write(storage: Storage, data: TypedArray): void {
    (storage.data as TypedArray).set(data as never);
  }

  async read(t: Tensor): Promise<TypedArray> {
    return gatherHost(t.view());
  }

  execute(op: OpDef<any, any>, attrs: unknown, info: OpInfo, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[]): Promise<void> | void {
    // Plain loops, not map: a compiled graph of tiny ops spends most of its time in this launch path.
    const views = new Array<StridedView | undefined>(inputs.length);
    for (let i = 0; i < inputs.length; i++) views[i] = inputs[i]?.view();
    const outs = new Array<TypedArray>(outputs.length);
    for (let i = 0; i < outputs.length; i++) outs[i] = outputs[i]!.storage('cpu').data!;
    const { kernel, sync } = launchOf(op, info);
    const rec = cpuRecording.rec;
    if (native && kernel && kernel.accepts(info, views, attrs)) return kernel.run(native, info, views, outs, attrs, rec ?? sync);
    if (rec) cpuRecording.tainted = `${op.name} ran on the TypeScript reference kernel`;
    if (!native) warnIfNoNative();
    op.reference(info, views, outs);
  }
}

/**
 * The native kernel and whether it runs inline, kept per info: a compiled step launches with the
 * same frozen info every run, and a dynamic-key lookup plus op.cost() per launch showed in profiles.
 */
const launches = new WeakMap<OpInfo, { kernel: CpuKernel | undefined; sync: boolean }>();

function launchOf(op: OpDef<any, any>, info: OpInfo): { kernel: CpuKernel | undefined; sync: boolean } {
  let l = launches.get(info);
  if (!l) {
    const kernel = cpuKernels[op.name];
    const cost = kernel ? op.cost(info) : undefined;
    launches.set(info, (l = { kernel, sync: cost !== undefined && cost.flops < INLINE_FLOPS && cost.bytes < INLINE_BYTES }));
  }
  return l;
}

export const cpuBackend = new CpuBackend();
