import type { Backend } from '../backends/backend.js';
import { LeptonError, show } from '../errors.js';
import type { OpDef, OpInfo } from '../ops/op.js';
import { sizeOf } from '../shape.js';
import type { Storage } from '../storage.js';
import { setTensorMover, Tensor, tensorOf, type TensorMeta } from '../tensor.js';
import { backendById, deviceFor } from './devices.js';
import { activeTracer } from './trace.js';
import { asLeptonError } from './errors.js';
import { emitFallback } from './events.js';
import { runKernel } from './executor.js';

export { asLeptonError } from './errors.js';
export { onFallback, type FallbackEvent, type FallbackListener } from './events.js';

/** Marks storage as produced by `work`: reads wait for it; a failure is recorded, never unhandled. */
function produce(storages: Storage[], work: Promise<void>, op: string): void {
  const settled = work.then(
    () => undefined,
    (err) => {
      const error = asLeptonError(op, err);
      for (const s of storages) s.error = error;
      throw error;
    },
  );
  settled.catch(() => undefined); // the error is kept on the storage and rethrown by data()
  for (const s of storages) s.ready = settled;
}

/** Waits for inputs; rethrows an input's recorded failure so it flows downstream. */
async function inputsReady(op: string, inputs: readonly (Tensor | undefined)[]): Promise<void> {
  for (const t of inputs) {
    if (!t) continue;
    const s = t.storage(op);
    try {
      await s.ready;
    } catch {
      // handled below
    }
    if (s.error) throw s.error;
  }
}

/** Picks the device: the pin, else the first input's device (others are moved there). */
function chooseDevice(op: string, inputs: readonly (Tensor | undefined)[], pin: string | undefined): Backend {
  if (pin !== undefined) return deviceFor(pin, op);
  const first = inputs.find((t): t is Tensor => t !== undefined);
  const id = first ? first.device : 'cpu';
  // A device that holds a tensor is registered; skip deviceFor's info() call on this hot path.
  return backendById(id) ?? deviceFor(id, op);
}

export interface ApplyOptions {
  device?: string;
}

/**
 * Runs one op eagerly: validates synchronously (throwing LeptonError at the call),
 * returns output tensors at once, and queues the kernel behind its inputs on the device's
 * queue, the same launch path compiled graphs use (src/runtime/executor.ts runKernel).
 * If the chosen device cannot run the op it falls back to the CPU.
 */
export function apply<A, I extends OpInfo>(op: OpDef<A, I>, inputs: readonly (Tensor | undefined)[], attrs: A, options: ApplyOptions = {}): Tensor[] {
  inputs.forEach((t, i) => {
    if (t !== undefined && !(t instanceof Tensor)) {
      throw new LeptonError('BAD_ARGUMENT', `${op.name}: input ${i} must be a Tensor, got ${show(t)}`);
    }
    t?.storage(op.name, `input ${i}`);
  });
  const metas: (TensorMeta | undefined)[] = inputs.map((t) => t && { shape: t.shape, dtype: t.dtype });
  // While a model is being traced into a graph (lc.loadOnnx), ops on symbolic values are recorded, not run.
  const traced = activeTracer()?.record(op, inputs, attrs, metas);
  if (traced) return traced;
  const info = op.infer(metas, attrs);

  let backend = chooseDevice(op.name, inputs, options.device);
  const support = backend.supports(op, info, metas);
  if (!support.ok) {
    if (options.device !== undefined && options.device !== 'cpu') {
      throw new LeptonError('UNSUPPORTED_OP', `${op.name}: device ${backend.id} cannot run it: ${support.reason}`);
    }
    logFallback(op.name, backend.id, support.reason);
    backend = backendById('cpu') ?? deviceFor('cpu', op.name);
  }

  if (op.view && inputs[0]) {
    const src = inputs[0];
    const v = op.view(info, { shape: src.shape, strides: src.strides, offset: src.offset });
    if (v) {
      const onDevice = src.device === backend.id ? src : src.to(backend.id);
      return [tensorOf(onDevice.storage(op.name), v.shape, v.strides, onDevice.offset + v.offset - src.offset)];
    }
  }

  // Internal handles keep the inputs' memory alive until the kernel is done, even if the
  // caller disposes its tensors right after this call.
  // The kernel writes through handles of its own too: disposing an output early is allowed.
  const placed = inputs.map((t) => t && (t.device !== backend.id ? t.to(backend.id) : pin(t)));
  const outputs = info.outputs.map((m) => tensorOf(backend.allocate(m.dtype, sizeOf(m.shape)), m.shape));
  const written = outputs.map(pin);
  const work = inputsReady(op.name, placed)
    .then(() => runKernel(backend, op, attrs, info, placed, written))
    .finally(() => {
      placed.forEach((t) => t?.dispose());
      written.forEach((t) => t.dispose());
    });
  produce(outputs.map((t) => t.storage(op.name)), work, op.name);
  return outputs;
}

/** A second handle on the same memory, owned by the runtime. */
function pin(t: Tensor): Tensor {
  return tensorOf(t.storage('pin'), t.shape, t.strides, t.offset);
}

/** Single-output convenience. */
export function apply1<A, I extends OpInfo>(op: OpDef<A, I>, inputs: readonly (Tensor | undefined)[], attrs: A, options: ApplyOptions = {}): Tensor {
  return apply(op, inputs, attrs, options)[0]!;
}

function logFallback(op: string, from: string, reason: string): void {
  emitFallback({ kind: 'unsupported', op, from, to: 'cpu', reason });
}

// Moving between devices: download to the host, upload to the target.
setTensorMover((t, storage, device) => {
  const target = deviceFor(device, 'to');
  if (target.id === storage.device) return tensorOf(storage, t.shape, t.strides, t.offset);
  const source = deviceFor(storage.device, 'to');
  const out = tensorOf(target.allocate(t.dtype, t.size), t.shape);
  const outStorage = out.storage('to');
  const src = pin(t);
  const work = inputsReady('to', [src])
    .then(async () => {
      await target.write(outStorage, await source.read(src));
    })
    .finally(() => src.dispose());
  produce([outStorage], work, 'to');
  return out;
});
