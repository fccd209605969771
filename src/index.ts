// The public surface of lepton-compute: re-exports only.
import './runtime/setup.js';

export { LeptonError, type ErrorCode } from './errors.js';
export type { DType, TypedArray } from './dtype.js';
export { Tensor, tensor, type TensorData, type TensorOptions } from './tensor.js';
export { devices } from './runtime/devices.js';
export { onFallback } from './runtime/eager.js';
export { warmup, type WarmupOptions, type WarmupResult } from './backends/webgpu/warmup.js';
export type { DeviceInfo } from './backends/backend.js';
export * from './eager/linear.js';
export * from './eager/elementwise.js';
export * from './eager/layout.js';
export * from './eager/normalization.js';
export * from './eager/pool.js';
export * from './eager/reduce.js';
export { runOnnxModel, loadOnnxModel, OnnxSession, type OnnxRunOptions, type OnnxLoadOptions } from './onnx/run.js';
export { loadOnnx } from './onnx/graph.js';
export { Graph, type GraphOps, type NodeOptions, type Value } from './graph/builder.js';
export { compile, Model, type CompileOptions, type RunOptions, type PassReport } from './graph/model.js';
export type { PlacementEntry } from './graph/plan.js';
export type { DeviceMemory } from './graph/passes/memory.js';
export { Profile, type StepRecord } from './runtime/profile.js';
export { markHealthy } from './runtime/health.js';
export type { FallbackEvent } from './runtime/events.js';
