// A test-only device with no hardware: reference kernels on host memory, with capability,
// speed (declared profile), latency and failures under the test's control.
import type { Backend, DeviceInfo, Support } from '../../src/backends/backend.js';
import { allocate, type DType, type TypedArray } from '../../src/dtype.js';
import { LeptonError, type ErrorCode } from '../../src/errors.js';
import type { OpDef, OpInfo } from '../../src/ops/op.js';
import type { DeviceProfile } from '../../src/runtime/calibrate.js';
import { registerBackend, unregisterBackend } from '../../src/runtime/devices.js';
import { markHealthy } from '../../src/runtime/health.js';
import type { Storage } from '../../src/storage.js';
import { gatherHost, type Tensor } from '../../src/tensor.js';

export interface FakeOptions {
  /** Ops it runs (default: all). */
  ops?: readonly string[];
  /** Declared throughput: flop/s (bytes/s is 1/10 of it); launch and transfer costs are small. */
  flopsPerSec?: number;
  /** Each kernel takes at least this long (ms). */
  delayMs?: number;
}

export class FakeDevice implements Backend {
  readonly executed: string[] = [];
  /** The n-th execute (1-based, counted from now) rejects with `failCode`. */
  failAt = 0;
  /** Every execute from now rejects. */
  failAlways = false;
  failCode: ErrorCode = 'DEVICE_ERROR';
  private count = 0;

  constructor(readonly id: string, private readonly options: FakeOptions = {}) {}

  get profile(): DeviceProfile {
    const f = this.options.flopsPerSec ?? 1e12;
    return { flopsPerSec: f, bytesPerSec: f / 10, launchSec: 1e-6, transferBytesPerSec: 1e10, transferLatencySec: 1e-6 };
  }

  info(): DeviceInfo {
    return { id: this.id, kind: 'fake', name: `fake ${this.id}`, available: true, profile: this.profile };
  }

  supports(op: OpDef<any, any>): Support {
    if (this.options.ops && !this.options.ops.includes(op.name)) return { ok: false, reason: `no fake kernel for ${op.name}` };
    return { ok: true };
  }

  allocate(dtype: DType, length: number): Storage {
    return { device: this.id, dtype, length, data: allocate(dtype, length), ready: Promise.resolve(), release() {} };
  }

  write(storage: Storage, data: TypedArray): void {
    (storage.data as TypedArray).set(data as never);
  }

  async read(t: Tensor): Promise<TypedArray> {
    return gatherHost(t.view());
  }

  async execute(op: OpDef<any, any>, _attrs: unknown, info: OpInfo, inputs: readonly (Tensor | undefined)[], outputs: readonly Tensor[]): Promise<void> {
    this.count++;
    if (this.failAlways || this.count === this.failAt) throw new LeptonError(this.failCode, `${op.name}: injected ${this.failCode} on ${this.id}`);
    if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
    op.reference(info, inputs.map((t) => t?.view()), outputs.map((t) => t.view().data));
    this.executed.push(op.name);
  }

  /** Counts executes from zero again and clears failures and health. */
  reset(): void {
    this.count = 0;
    this.failAt = 0;
    this.failAlways = false;
    this.executed.length = 0;
    markHealthy(this.id);
  }

  register(): this {
    registerBackend(this);
    return this;
  }

  unregister(): void {
    unregisterBackend(this.id);
  }
}
