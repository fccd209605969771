/** Stable error codes: callers (and the graph runtime's fallback) switch on these. */
export type ErrorCode =
  | 'SHAPE_MISMATCH'
  | 'BAD_ATTRIBUTE'
  | 'BAD_ARGUMENT'
  | 'DTYPE_UNSUPPORTED'
  | 'DISPOSED'
  | 'DEVICE_UNAVAILABLE'
  | 'OUT_OF_MEMORY'
  | 'DEVICE_LOST'
  | 'DEVICE_ERROR'
  | 'KERNEL_ERROR'
  | 'NATIVE_ARGUMENT'
  | 'UNSUPPORTED_OP'
  | 'BAD_MODEL';

/** Every error lepton-compute raises on purpose. `code` is stable; the message names op, argument, expected and actual. */
export class LeptonError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LeptonError';
    this.code = code;
  }
}

/** Formats a value for messages: arrays as [a,b], strings quoted. */
export function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(show).join(',')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length})`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return String(value);
}

/** Throws `<op>: <argument> must be <expected>, got <actual>`. */
export function fail(code: ErrorCode, op: string, argument: string, expected: string, actual: unknown): never {
  throw new LeptonError(code, `${op}: ${argument} must be ${expected}, got ${show(actual)}`);
}
