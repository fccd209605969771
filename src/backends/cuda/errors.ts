import type { ErrorCode } from '../../errors.js';
import { LeptonError } from '../../errors.js';

const NATIVE_CODES: readonly ErrorCode[] = ['OUT_OF_MEMORY', 'DEVICE_LOST', 'DEVICE_UNAVAILABLE', 'DEVICE_ERROR', 'KERNEL_ERROR', 'NATIVE_ARGUMENT'];

/** A native CUDA failure as a LeptonError that keeps the code the runtime's fallback switches on. */
export function asCudaError(what: string, err: unknown): LeptonError {
  if (err instanceof LeptonError) return err;
  const e = err as { code?: string; message?: string };
  const code = NATIVE_CODES.includes(e?.code as ErrorCode) ? (e.code as ErrorCode) : 'DEVICE_ERROR';
  return new LeptonError(code, `${what}: ${e?.message ?? String(err)}`, { cause: err });
}
