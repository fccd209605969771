import { LeptonError } from '../errors.js';

/** Turns whatever a kernel threw into a LeptonError with a stable code. */
export function asLeptonError(op: string, err: unknown): LeptonError {
  if (err instanceof LeptonError) return err;
  const e = err as { code?: string; message?: string };
  const code = e?.code === 'OUT_OF_MEMORY' || e?.code === 'DEVICE_LOST' || e?.code === 'NATIVE_ARGUMENT' ? e.code : 'KERNEL_ERROR';
  return new LeptonError(code, `${op}: kernel failed: ${e?.message ?? String(err)}`, { cause: err });
}
