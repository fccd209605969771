// The public surface of lepton-compute: re-exports only.
import './runtime/setup.js';

export { LeptonError, type ErrorCode } from './errors.js';
export type { DType, TypedArray } from './dtype.js';
export { Tensor, tensor, type TensorData, type TensorOptions } from './tensor.js';
export { devices } from './runtime/devices.js';
export { onFallback } from './runtime/eager.js';
export type { DeviceInfo } from './backends/backend.js';
export * from './eager/linear.js';
export * from './eager/elementwise.js';
export * from './eager/layout.js';
export * from './eager/normalization.js';
export * from './eager/pool.js';
export * from './eager/reduce.js';
