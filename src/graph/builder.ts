/**
 * lc.Graph: builds the IR with one method per op, named and taking the same options as the
 * eager functions. Shapes are inferred and validated as each node is added; an error names
 * the node. Dynamic dims (-1) are inferred by running the op's own shape inference twice, with
 * two different probe sizes: an output dim that changes with the probe is dynamic.
 */
import { checkDType, type DType } from '../dtype.js';
import { LeptonError, show } from '../errors.js';
import type { ArgReduceAttrs } from '../ops/argReduce.js';
import { argmax, argmin } from '../ops/argReduce.js';
import { batchNorm, type BatchNormAttrs } from '../ops/batchNorm.js';
import { binaryOps, type BinaryAttrs, type BinaryName } from '../ops/binary.js';
import { conv2d, type Conv2dAttrs } from '../ops/conv2d.js';
import { gemm, type GemmAttrs } from '../ops/gemm.js';
import {
  concat, flatten, reshape, squeeze, transpose, unsqueeze,
  type ConcatAttrs, type FlattenAttrs, type ReshapeAttrs, type SqueezeAttrs, type TransposeAttrs,
} from '../ops/layout.js';
import { matmul, type MatmulAttrs } from '../ops/matmul.js';
import type { OpDef } from '../ops/op.js';
import {
  avgPool2d, globalAvgPool, globalMaxPool, maxPool2d, type AvgPool2dAttrs, type GlobalPoolAttrs, type MaxPool2dAttrs,
} from '../ops/pool2d.js';
import { reduceOps, type ReduceAttrs, type ReduceKind } from '../ops/reduce.js';
import { logSoftmax, softmax, type SoftmaxAttrs } from '../ops/softmax.js';
import { clip, unaryOps, type ClipAttrs, type GeluAttrs, type UnaryAttrs, type UnaryName } from '../ops/unary.js';
import { tensor, Tensor, tensorOf, type TensorMeta } from '../tensor.js';
import type { GraphIR, Node, Value } from './ir.js';

export type { Value } from './ir.js';

/** Options every graph op takes besides its own: a device pin and a node name. */
export interface NodeOptions {
  device?: string;
  name?: string;
}

type Opt<A> = Omit<A, 'device'> & NodeOptions;
type Operand = Value | number;

/** Dims substituted for -1 during shape inference: two sizes unlikely to clash with real dims. */
const PROBES = [97, 101] as const;

// The op table: every graph method, generated from the OpDefs. `args` maps a call's arguments to
// (inputs, attributes); most ops share one of a few call shapes.
type Call = (g: Graph, args: unknown[]) => { inputs: (Value | undefined)[]; attrs: Record<string, unknown> };
const x1: Call = (_g, [x, o]) => ({ inputs: [x as Value], attrs: { ...(o as object) } });
const ab: Call = (g, [a, b, o]) => ({ inputs: g.operands(a as Operand, b as Operand), attrs: { ...(o as object) } });
const table: Record<string, { op: OpDef<any, any>; call: Call }> = {};
for (const [name, op] of Object.entries(unaryOps)) table[name] = { op, call: x1 };
for (const [name, op] of Object.entries(binaryOps)) table[name] = { op, call: ab };
for (const [name, op] of Object.entries(reduceOps)) table[name] = { op, call: x1 };
for (const op of [clip, argmax, argmin, softmax, logSoftmax, flatten, transpose, squeeze, unsqueeze, avgPool2d, globalAvgPool, globalMaxPool]) {
  table[op.name] = { op, call: x1 };
}
Object.assign(table, {
  matmul: { op: matmul, call: ab },
  gemm: { op: gemm, call: (_g: Graph, [a, b, c, o]: unknown[]) => ({ inputs: [a, b, c ?? undefined], attrs: { ...(o as object) } }) },
  conv2d: {
    op: conv2d,
    call: (_g: Graph, [x, w, o]: unknown[]) => {
      const { bias, ...attrs } = (o ?? {}) as { bias?: Value };
      return { inputs: [x, w, bias], attrs };
    },
  },
  batchNorm: { op: batchNorm, call: (_g: Graph, [x, s, b, m, v, o]: unknown[]) => ({ inputs: [x, s, b, m, v], attrs: { ...(o as object) } }) },
  reshape: { op: reshape, call: (_g: Graph, [x, shape, o]: unknown[]) => ({ inputs: [x], attrs: { ...(o as object), shape } }) },
  concat: {
    op: concat,
    call: (_g: Graph, [xs, o]: unknown[]) => {
      if (!Array.isArray(xs)) throw new LeptonError('BAD_ARGUMENT', `concat: values must be an array of graph values, got ${show(xs)}`);
      return { inputs: xs, attrs: { ...(o as object) } };
    },
  },
  maxPool2d: { op: maxPool2d, call: (_g: Graph, [x, o]: unknown[]) => ({ inputs: [x], attrs: { ...(o as object), returnIndices: false } }) },
} as Record<string, { op: OpDef<any, any>; call: Call }>);

/** The graph methods' types: the same names and options as the eager functions. */
type UnaryMethods = { [K in UnaryName]: (x: Value, options?: Opt<UnaryAttrs>) => Value };
type BinaryMethods = { [K in BinaryName]: (a: Operand, b: Operand, options?: Opt<BinaryAttrs>) => Value };
type ReduceMethods = { [K in ReduceKind]: (x: Value, options?: Opt<ReduceAttrs>) => Value };
export interface GraphOps extends UnaryMethods, BinaryMethods, ReduceMethods {
  gelu(x: Value, options?: Opt<GeluAttrs>): Value;
  clip(x: Value, options?: Opt<ClipAttrs>): Value;
  argmax(x: Value, options?: Opt<ArgReduceAttrs>): Value;
  argmin(x: Value, options?: Opt<ArgReduceAttrs>): Value;
  softmax(x: Value, options?: Opt<SoftmaxAttrs>): Value;
  logSoftmax(x: Value, options?: Opt<SoftmaxAttrs>): Value;
  matmul(a: Value, b: Value, options?: Opt<Omit<MatmulAttrs, 'activation'>>): Value;
  gemm(a: Value, b: Value, c?: Value | null, options?: Opt<Omit<GemmAttrs, 'activation'>>): Value;
  conv2d(x: Value, w: Value, options?: Opt<Omit<Conv2dAttrs, 'activation'>> & { bias?: Value }): Value;
  batchNorm(x: Value, scale: Value, bias: Value, mean: Value, variance: Value, options?: Opt<BatchNormAttrs>): Value;
  maxPool2d(x: Value, options: Opt<Omit<MaxPool2dAttrs, 'returnIndices'>>): Value;
  avgPool2d(x: Value, options: Opt<AvgPool2dAttrs>): Value;
  globalAvgPool(x: Value, options?: Opt<GlobalPoolAttrs>): Value;
  globalMaxPool(x: Value, options?: Opt<GlobalPoolAttrs>): Value;
  reshape(x: Value, shape: readonly number[], options?: Opt<Omit<ReshapeAttrs, 'shape'>>): Value;
  flatten(x: Value, options?: Opt<FlattenAttrs>): Value;
  transpose(x: Value, options?: Opt<TransposeAttrs>): Value;
  concat(values: readonly Value[], options?: Opt<ConcatAttrs>): Value;
  squeeze(x: Value, options?: Opt<SqueezeAttrs>): Value;
  unsqueeze(x: Value, options: Opt<{ axes: readonly number[] }>): Value;
}

export interface Graph extends GraphOps {}

/** A graph of ops under construction: inputs, constants, op nodes, named outputs. */
export class Graph implements GraphIR {
  readonly nodes: Node[] = [];
  readonly inputs = new Map<string, Value>();
  readonly outputs = new Map<string, Value>();
  private readonly own = new WeakSet<Value>();
  private nextValue = 0;
  private readonly names = new Set<string>();

  /** A named input; -1 marks a dynamic dim (typically the batch). */
  input(name: string, shape: readonly number[], dtype: DType = 'float32'): Value {
    if (typeof name !== 'string' || !name) throw new LeptonError('BAD_ARGUMENT', `graph.input: name must be a non-empty string, got ${show(name)}`);
    if (this.inputs.has(name)) throw new LeptonError('BAD_ARGUMENT', `graph.input: name must be unique, got ${show(name)} twice`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= -1)) {
      throw new LeptonError('BAD_ARGUMENT', `graph.input ${show(name)}: shape must be an array of integers >= -1 (-1: dynamic), got ${show(shape)}`);
    }
    const v = this.value({ shape: Object.freeze([...shape]), dtype: checkDType('graph.input', 'dtype', dtype), index: 0, input: name });
    this.inputs.set(name, v);
    return v;
  }

  /** A constant: the tensor's data is part of the graph (weights). It must live on the CPU. */
  constant(t: Tensor): Value {
    if (!(t instanceof Tensor)) throw new LeptonError('BAD_ARGUMENT', `graph.constant: value must be a Tensor, got ${show(t)}`);
    // The graph holds its own handle: the caller may dispose theirs.
    const own = tensorOf(t.storage('graph.constant'), t.shape, t.strides, t.offset);
    return this.value({ shape: t.shape, dtype: t.dtype, index: 0, constant: own });
  }

  /** Names a value as a graph output. */
  output(name: string, v: Value): void {
    if (typeof name !== 'string' || !name) throw new LeptonError('BAD_ARGUMENT', `graph.output: name must be a non-empty string, got ${show(name)}`);
    if (this.outputs.has(name)) throw new LeptonError('BAD_ARGUMENT', `graph.output: name must be unique, got ${show(name)} twice`);
    this.check(`graph.output ${show(name)}`, 'value', v);
    this.outputs.set(name, v);
  }

  /** Adds a node of any op; returns its outputs. The typed methods (g.conv2d, ...) call this. */
  node(op: OpDef<any, any>, inputs: readonly (Value | undefined)[], options: Record<string, unknown> = {}): Value[] {
    const { device, name: given, ...attrs } = options as NodeOptions & Record<string, unknown>;
    const name = this.nodeName(op.name, given);
    inputs.forEach((v, i) => v !== undefined && this.check(`graph node ${show(name)} (${op.name})`, `input ${i}`, v));
    if (device !== undefined && typeof device !== 'string') {
      throw new LeptonError('BAD_ARGUMENT', `graph node ${show(name)} (${op.name}): device must be a string like "cpu" or "webgpu:0", got ${show(device)}`);
    }
    const metas = inferDynamic(name, op, inputs, attrs);
    const node: Node & { outputs: Value[] } = { id: this.nodes.length, name, op, inputs: [...inputs], attrs: Object.freeze(attrs), ...(device ? { device } : {}), outputs: [] };
    node.outputs.push(...metas.map((m, index) => this.value({ shape: m.shape, dtype: m.dtype, index, producer: node })));
    this.nodes.push(node);
    return node.outputs;
  }

  /** ONNX MaxPool with both outputs: [values, int64 indices]. */
  maxPool2dWithIndices(x: Value, options: Opt<Omit<MaxPool2dAttrs, 'returnIndices'>>): [Value, Value] {
    const [v, i] = this.node(maxPool2d, [x], { ...options, returnIndices: true });
    return [v!, i!];
  }

  /** @internal Binary operands: a number becomes a scalar constant of the other operand's dtype. */
  operands(a: Operand, b: Operand): Value[] {
    const scalar = (v: Operand, other: Operand): Value => {
      if (typeof v !== 'number') return v;
      if (typeof other === 'number') throw new LeptonError('BAD_ARGUMENT', `graph: at least one operand must be a graph value, got ${v} and ${other}`);
      return this.constant(tensor(v, [], { dtype: other.dtype }));
    };
    return [scalar(a, b), scalar(b, a)];
  }

  private value(v: Omit<Value, 'id'>): Value {
    const out = Object.freeze({ id: this.nextValue++, ...v }) as Value;
    this.own.add(out);
    return out;
  }

  private nodeName(op: string, given: unknown): string {
    if (given !== undefined && (typeof given !== 'string' || !given)) throw new LeptonError('BAD_ARGUMENT', `graph ${op}: name must be a non-empty string, got ${show(given)}`);
    let name = given as string | undefined;
    if (name && this.names.has(name)) throw new LeptonError('BAD_ARGUMENT', `graph ${op}: node name must be unique, got ${show(name)} twice`);
    for (let n = this.nodes.length; !name || this.names.has(name); n++) name = `${op}_${n}`;
    this.names.add(name);
    return name;
  }

  private check(where: string, what: string, v: unknown): void {
    if (!this.own.has(v as Value)) {
      throw new LeptonError('BAD_ARGUMENT', `${where}: ${what} must be a value of this graph (from input(), constant() or an op), got ${show(v)}`);
    }
  }
}

// Install the generated op methods.
for (const [method, { op, call }] of Object.entries(table)) {
  Object.defineProperty(Graph.prototype, method, {
    value(this: Graph, ...args: unknown[]): Value {
      const { inputs, attrs } = call(this, args);
      return this.node(op, inputs, attrs)[0]!;
    },
    writable: true,
    configurable: true,
  });
}

/** Shape inference with dynamic dims: the op's own infer at two probe sizes; errors name the node. */
function inferDynamic(name: string, op: OpDef<any, any>, inputs: readonly (Value | undefined)[], attrs: unknown): { shape: readonly number[]; dtype: DType }[] {
  const dynamic = inputs.some((v) => v?.shape.includes(-1));
  const run = (probe: number): readonly TensorMeta[] => {
    try {
      return op.infer(inputs.map((v) => v && { shape: v.shape.map((d) => (d < 0 ? probe : d)), dtype: v.dtype }), attrs).outputs;
    } catch (err) {
      if (err instanceof LeptonError) throw new LeptonError(err.code, `graph node ${show(name)} (${op.name}): ${err.message}`, { cause: err });
      throw err;
    }
  };
  const a = run(PROBES[0]);
  const b = dynamic ? run(PROBES[1]) : a;
  return a.map((m, i) => ({ shape: Object.freeze(m.shape.map((d, j) => (d === b[i]!.shape[j] ? d : -1))), dtype: m.dtype }));
}
