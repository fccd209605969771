/**
 * Tracing: turns eager op calls into graph nodes. While a Tracer is active, an op any of whose
 * inputs is symbolic (made by the tracer, with a shape and dtype but no data) is not run: it is
 * recorded and returns symbolic outputs. Ops on real tensors alone still run, so everything that
 * depends only on constants is computed once, at trace time (constant folding for free).
 * Used to import models whose op mapping is written against the eager API (lc.loadOnnx).
 */
import type { DType } from '../dtype.js';
import { LeptonError } from '../errors.js';
import type { OpDef, OpInfo } from '../ops/op.js';
import { sizeOf } from '../shape.js';
import type { Storage } from '../storage.js';
import { tensorOf, type Tensor, type TensorMeta } from '../tensor.js';

export interface TraceRecord {
  readonly op: OpDef<any, any>;
  readonly inputs: readonly (Tensor | undefined)[];
  readonly attrs: unknown;
  readonly outputs: readonly Tensor[];
}

let active: Tracer | undefined;

export class Tracer {
  private readonly symbols = new WeakSet<Storage>();

  /** `sink` receives each recorded op at once, while its input tensors are alive. */
  constructor(private readonly sink: (record: TraceRecord) => void) {}

  /** A tensor with a shape and dtype but no data: reading its data is refused with UNSUPPORTED_OP. */
  symbolic(shape: readonly number[], dtype: DType): Tensor {
    const storage: Storage = {
      device: 'cpu', dtype, length: sizeOf(shape), ready: Promise.resolve(), release() {},
      get data(): never {
        throw new LeptonError('UNSUPPORTED_OP', 'trace: a value computed from graph inputs is read on the host (a data-dependent shape or attribute)');
      },
    };
    this.symbols.add(storage);
    return tensorOf(storage, shape);
  }

  isSymbolic(t: Tensor): boolean {
    return !t.disposed && this.symbols.has(t.storage('trace'));
  }

  /** Runs fn with this tracer active (fn may be async: the tracer stays active until it settles). */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (active) throw new LeptonError('BAD_ARGUMENT', 'trace: a trace is already running');
    active = this;
    try {
      return await fn();
    } finally {
      active = undefined;
    }
  }

  /** @internal Called by the runtime for every op: records it when it touches a symbolic tensor. */
  record<A, I extends OpInfo>(op: OpDef<A, I>, inputs: readonly (Tensor | undefined)[], attrs: A, metas: readonly (TensorMeta | undefined)[]): Tensor[] | undefined {
    if (!inputs.some((t) => t !== undefined && this.isSymbolic(t))) return undefined;
    const info = op.infer(metas, attrs); // validates at trace time, like an eager call
    const outputs = info.outputs.map((m) => this.symbolic(m.shape, m.dtype));
    this.sink({ op, inputs: [...inputs], attrs, outputs });
    return outputs;
  }
}

/** The active tracer, if any. */
export function activeTracer(): Tracer | undefined {
  return active;
}
