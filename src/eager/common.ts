/**
 * Shared by the eager op functions users call (lc.matmul, lc.sum, ...). Each of
 * those validates synchronously, returns its output at once and queues the kernel
 * through the runtime (src/runtime/eager.ts).
 */
import { LeptonError, show } from '../errors.js';
import { Tensor } from '../tensor.js';

/** Splits `{ device }` (placement) from the op's own attributes. */
export function placement<T extends { device?: string }>(options: T | undefined): { device?: string } {
  return options?.device === undefined ? {} : { device: options.device };
}

export function optionalTensor(op: string, name: string, value: unknown): Tensor | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(value instanceof Tensor)) throw new LeptonError('BAD_ARGUMENT', `${op}: ${name} must be a Tensor, got ${show(value)}`);
  return value;
}
