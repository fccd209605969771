/**
 * ONNX operators (default domain) mapped onto lepton-compute's eager ops: one entry per op type,
 * each `(inputs, attributes, context) -> outputs`, so the graph runtime can reuse the table.
 * An entry says which attributes it understands, which inputs it must read on the host
 * (shapes, axes, bounds) and, in `check`, which attribute values it cannot honour.
 */
import { halfBitsToFloat32 } from '../dtype.js';
import * as elementwise from '../eager/elementwise.js';
import * as layout from '../eager/layout.js';
import * as linear from '../eager/linear.js';
import * as normalization from '../eager/normalization.js';
import * as pool from '../eager/pool.js';
import * as reduce from '../eager/reduce.js';
import { LeptonError } from '../errors.js';
import { sizeOf } from '../shape.js';
import { tensor, type Tensor } from '../tensor.js';
import { describeNode, NodeAttributes } from './attributes.js';
import { cast } from './cast.js';
import type { OnnxNode } from './proto.js';
import { dtypeFromOnnx, onnxTypeName, tensorFromProto, type HostTensor } from './tensor.js';
import { ONNX_ATTRIBUTE_TYPE, ONNX_DATA_TYPE } from './schema.js';

/** What a node's function gets besides its inputs and attributes. */
export interface NodeContext {
  /** Version of the default-domain opset the model imports. */
  readonly opset: number;
  readonly node: OnnxNode;
  /** Host copies of the inputs named by the op's hostInputs (undefined when the input is absent). */
  readonly values: readonly (HostTensor | undefined)[];
  /** Hands over a temporary made inside the node; it is disposed once the run's work has settled. */
  readonly temp: (t: Tensor) => Tensor;
}

export interface OnnxOp {
  /** Attribute names the op reads (or knowingly ignores); any other attribute makes the node unsupported. */
  readonly attributes: readonly string[];
  /** Inputs read on the host at this opset (shape, axes, bounds): the runner supplies them in ctx.values. */
  hostInputs?(opset: number): readonly number[];
  /**
   * Why this node cannot run here, or undefined. `ranks` holds input ranks the graph declares
   * (undefined where unknown); run() re-checks with the real tensors.
   */
  check?(attrs: NodeAttributes, opset: number, node: OnnxNode, ranks: readonly (number | undefined)[]): string | undefined;
  run(inputs: readonly (Tensor | undefined)[], attrs: NodeAttributes, ctx: NodeContext): Tensor[];
}

// ---- helpers ----

/** A node the mapping cannot run: the runner reports it as unsupported (never as a wrong answer). */
export function unsupported(ctx: { node: OnnxNode }, reason: string): never {
  throw new LeptonError('UNSUPPORTED_OP', `onnx: node ${describeNode(ctx.node)} is not supported: ${reason}`);
}

function badModel(ctx: { node: OnnxNode }, message: string): never {
  throw new LeptonError('BAD_MODEL', `onnx: node ${describeNode(ctx.node)}: ${message}`);
}

function need(ctx: NodeContext, inputs: readonly (Tensor | undefined)[], i: number, name: string): Tensor {
  const t = inputs[i];
  if (!t) badModel(ctx, `input ${i} (${name}) is required`);
  return t;
}

type Unary = (x: Tensor) => Tensor;
type Binary = (a: Tensor, b: Tensor) => Tensor;

/** Integer values of a host tensor (axes, shapes, ...). */
function intsOf(ctx: NodeContext, h: HostTensor, what: string): number[] {
  if (h.dtype !== 'int64' && h.dtype !== 'int32') badModel(ctx, `${what} must be an int64 tensor, got ${h.dtype}`);
  return Array.from(h.data as ArrayLike<number | bigint>, (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) badModel(ctx, `${what} holds ${v}, which is out of range`);
    return n;
  });
}

/** The scalar value of a host tensor, as a number (float16 decoded). */
function scalarOf(ctx: NodeContext, h: HostTensor, what: string): number {
  if (sizeOf(h.shape) !== 1) badModel(ctx, `${what} must be a scalar, got shape [${h.shape.join(',')}]`);
  const v = h.data[0]!;
  if (h.dtype === 'float16') return halfBitsToFloat32(v as number);
  return Number(v);
}

/** A tensor sharing x's storage (Identity, single-input Sum/Max/...): the runner may dispose each independently. */
function alias(x: Tensor): Tensor {
  return x.to(x.device);
}

/** A host-made tensor on `device` (the host copy is left to the garbage collector: the queued move reads it). */
function on(device: string, t: Tensor): Tensor {
  return device === 'cpu' ? t : t.to(device);
}

const int64Tensor = (values: readonly number[], shape: readonly number[]): Tensor =>
  tensor(BigInt64Array.from(values, (v) => BigInt(v)), shape, { dtype: 'int64' });

const single = (fn: (inputs: readonly (Tensor | undefined)[], attrs: NodeAttributes, ctx: NodeContext) => Tensor) =>
  (inputs: readonly (Tensor | undefined)[], attrs: NodeAttributes, ctx: NodeContext): Tensor[] => [fn(inputs, attrs, ctx)];

/** Reports outputs beyond the first that the graph uses (training outputs, indices, masks). */
function extraOutputs(node: OnnxNode, from: number): string | undefined {
  const used = node.output.slice(from).filter((o) => o !== '');
  return used.length ? `output(s) ${used.map((o) => JSON.stringify(o)).join(', ')} beyond the first are not produced` : undefined;
}

// ---- op families ----

function unaryOp(fn: Unary): OnnxOp {
  return {
    attributes: ['consumed_inputs'],
    run: single((inputs, _a, ctx) => fn(need(ctx, inputs, 0, 'X'))),
  };
}

/** Broadcasting binary ops (opset 7+ numpy semantics; opset < 7 broadcast=1 without axis is the same thing). */
function binaryOp(fn: Binary): OnnxOp {
  return {
    attributes: ['broadcast', 'axis', 'consumed_inputs'],
    check(attrs) {
      if (attrs.has('axis')) return 'the legacy (opset < 7) broadcast axis attribute';
      return undefined;
    },
    run: single((inputs, _a, ctx) => {
      const a = need(ctx, inputs, 0, 'A');
      let b = need(ctx, inputs, 1, 'B');
      // Pow's exponent may have another type (opset 12+); the result has the base's.
      if (fn === elementwise.pow && b.dtype !== a.dtype) b = ctx.temp(cast(b, a.dtype));
      return fn(a, b);
    }),
  };
}

/** Max/Min/Sum/Mean: variadic, broadcasting. */
function variadicOp(fn: Binary, mean = false): OnnxOp {
  return {
    attributes: ['consumed_inputs'],
    run: single((inputs, _a, ctx) => {
      const xs = inputs.filter((t): t is Tensor => t !== undefined);
      if (xs.length === 0) badModel(ctx, 'needs at least one input');
      if (xs.length === 1 && !mean) return alias(xs[0]!);
      let acc = xs[0]!;
      xs.slice(1).forEach((x, i) => {
        if (i > 0) ctx.temp(acc);
        acc = fn(acc, x);
      });
      if (mean) {
        if (xs.length > 1) ctx.temp(acc);
        const n = ctx.temp(on(acc.device, tensor(xs.length, [], { dtype: acc.dtype })));
        acc = elementwise.div(acc, n);
      }
      return acc;
    }),
  };
}

const REDUCE_KINDS: Record<string, 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'sumSquare' | 'l1' | 'l2' | 'logSumExp' | 'logSum'> = {
  ReduceSum: 'sum', ReduceMean: 'mean', ReduceMax: 'max', ReduceMin: 'min', ReduceProd: 'prod',
  ReduceSumSquare: 'sumSquare', ReduceL1: 'l1', ReduceL2: 'l2', ReduceLogSumExp: 'logSumExp', ReduceLogSum: 'logSum',
};

/** Reduce*: axes is an attribute before `axesInputFrom` (13 for ReduceSum, 18 for the rest), an optional input after. */
function reduceOp(opType: string): OnnxOp {
  const kind = REDUCE_KINDS[opType]!;
  const axesInputFrom = opType === 'ReduceSum' ? 13 : 18;
  return {
    attributes: ['axes', 'keepdims', 'noop_with_empty_axes'],
    hostInputs: (opset) => (opset >= axesInputFrom ? [1] : []),
    check(attrs, opset) {
      if (opset >= axesInputFrom && attrs.has('axes')) return `attribute axes (an input from opset ${axesInputFrom})`;
      if (opset < axesInputFrom && attrs.has('noop_with_empty_axes')) return `attribute noop_with_empty_axes before opset ${axesInputFrom}`;
      return undefined;
    },
    run: single((inputs, attrs, ctx) => {
      const x = need(ctx, inputs, 0, 'data');
      const keepdims = attrs.int('keepdims', 1) !== 0;
      let axes: number[] | undefined;
      let noopWithEmptyAxes = false;
      if (ctx.opset >= axesInputFrom) {
        const v = ctx.values[1];
        axes = v ? intsOf(ctx, v, 'axes') : undefined;
        noopWithEmptyAxes = attrs.int('noop_with_empty_axes', 0) !== 0;
        // An absent axes input means "all axes" unless noop_with_empty_axes, when it means "none".
        if (axes === undefined && noopWithEmptyAxes) axes = [];
      } else {
        axes = attrs.ints('axes');
      }
      return reduce[kind](x, { axes, keepdims, noopWithEmptyAxes });
    }),
  };
}

function argOp(fn: typeof reduce.argmax): OnnxOp {
  return {
    attributes: ['axis', 'keepdims', 'select_last_index'],
    run: single((inputs, attrs, ctx) => fn(need(ctx, inputs, 0, 'data'), {
      axis: attrs.int('axis', 0),
      keepdims: attrs.int('keepdims', 1) !== 0,
      selectLastIndex: attrs.int('select_last_index', 0) !== 0,
    })),
  };
}

const AUTO_PAD = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** Conv/pool window attributes in the eager ops' camelCase form. */
function windowOptions(attrs: NodeAttributes, ctx: { node: OnnxNode }) {
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  if (!AUTO_PAD.includes(autoPad)) badModel(ctx, `auto_pad must be one of ${AUTO_PAD.join('|')}, got ${JSON.stringify(autoPad)}`);
  const opts: Record<string, unknown> = { autoPad };
  const strides = attrs.ints('strides');
  const pads = attrs.ints('pads');
  const dilations = attrs.ints('dilations');
  const kernelShape = attrs.ints('kernel_shape');
  if (strides) opts.strides = strides;
  // Explicit pads are ignored by ONNX when auto_pad is not NOTSET (exporters sometimes leave zeros there).
  if (pads && autoPad === 'NOTSET') opts.pads = pads;
  if (dilations) opts.dilations = dilations;
  if (kernelShape) opts.kernelShape = kernelShape;
  return opts;
}

function convRankReason(rank: number | undefined): string | undefined {
  return rank !== undefined && rank !== 3 && rank !== 4 ? `Conv with ${rank - 2} spatial dimension(s): 1-D and 2-D are implemented` : undefined;
}

/** Window options for one 2-D pass over spatial dims `dims` of an N-D window (kernel 1 elsewhere, as lifted). */
function window2d(base: Record<string, unknown>, n: number, dims: readonly (number | undefined)[]): Record<string, unknown> {
  const pick = (list: unknown, fill: number, offset = 0) =>
    list === undefined ? undefined : dims.map((d) => (d === undefined ? fill : (list as number[])[d + offset]!));
  const out: Record<string, unknown> = { ...base };
  for (const key of ['kernelShape', 'strides', 'dilations']) if (base[key] !== undefined) out[key] = pick(base[key], 1);
  if (base.pads !== undefined) out.pads = [...pick(base.pads, 0)!, ...pick(base.pads, 0, n)!];
  return out;
}

/**
 * MaxPool/AveragePool over 1, 2 or 3 spatial dims with the 2-D eager ops. 1-D lifts x to
 * [N,C,1,L]. 3-D is separable (a box max, or a box mean whose divisor is a product of per-dim
 * counts, both with or without pads): one 2-D pass over (H, W) of [N, C*D, H, W], then one over
 * D of [N, C, D, OH*OW] with a kernel 1 wide.
 */
function poolOp(kind: 'max' | 'avg'): OnnxOp {
  const what = kind === 'max' ? 'MaxPool' : 'AveragePool';
  const rankReason = (rank: number | undefined, node: OnnxNode): string | undefined => {
    if (rank === undefined) return undefined;
    if (rank < 3 || rank > 5) return `${what} with ${rank - 2} spatial dimension(s): 1-D, 2-D and 3-D are implemented`;
    if (rank === 5 && kind === 'max' && node.output[1]) return 'MaxPool Indices output with 3 spatial dimensions';
    return undefined;
  };
  return {
    attributes: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'strides', ...(kind === 'max' ? ['storage_order'] : ['count_include_pad'])],
    check(_attrs, _opset, node, ranks) {
      return rankReason(ranks[0], node);
    },
    run(inputs, attrs, ctx) {
      const x = need(ctx, inputs, 0, 'X');
      const reason = rankReason(x.rank, ctx.node);
      if (reason) unsupported(ctx, reason);
      const n = x.rank - 2;
      const kernel = attrs.ints('kernel_shape');
      if (!kernel) badModel(ctx, 'attribute kernel_shape is required');
      if (kernel.length !== n) badModel(ctx, `kernel_shape must have ${n} entries (input rank ${x.rank}), got [${kernel.join(',')}]`);
      const opts = windowOptions(attrs, ctx);
      for (const key of ['strides', 'dilations'] as const) {
        const v = opts[key] as number[] | undefined;
        if (v && v.length !== n) badModel(ctx, `${key} must have ${n} entries, got [${v.join(',')}]`);
      }
      const pads = opts.pads as number[] | undefined;
      if (pads && pads.length !== 2 * n) badModel(ctx, `pads must have ${2 * n} entries, got [${pads.join(',')}]`);
      opts.ceilMode = attrs.int('ceil_mode', 0) !== 0;
      if (kind === 'avg') opts.countIncludePad = attrs.int('count_include_pad', 0) !== 0;
      else opts.storageOrder = attrs.int('storage_order', 0);
      const pool2d = (t: Tensor, o: Record<string, unknown>): Tensor[] => {
        if (kind === 'avg') return [pool.avgPool2d(t, o as unknown as pool.AvgPool2dOptions)];
        // The Indices output is computed only when the graph uses it.
        if (ctx.node.output[1]) return pool.maxPool2dWithIndices(t, o as unknown as pool.MaxPool2dOptions);
        return [pool.maxPool2d(t, o as unknown as pool.MaxPool2dOptions)];
      };
      const [N, C] = x.shape as [number, number];
      if (n === 2) return pool2d(x, opts);
      if (n === 1) {
        const lifted = ctx.temp(layout.reshape(x, [N, C, 1, x.shape[2]!]));
        return pool2d(lifted, window2d(opts, 1, [undefined, 0])).map((y) => {
          ctx.temp(y);
          return layout.reshape(y, [N, C, y.shape[3]!]);
        });
      }
      const [D, H, W] = x.shape.slice(2) as [number, number, number];
      const planes = ctx.temp(layout.reshape(x, [N, C * D, H, W]));
      const [y1] = pool2d(planes, window2d(opts, 3, [1, 2]));
      const [OH, OW] = y1!.shape.slice(2) as [number, number];
      const depth = ctx.temp(layout.reshape(ctx.temp(y1!), [N, C, D, OH * OW]));
      const [y2] = pool2d(depth, window2d(opts, 3, [0, undefined]));
      return [layout.reshape(ctx.temp(y2!), [N, C, y2!.shape[2]!, OH, OW])];
    },
  };
}

function globalPoolOp(fn: Unary): OnnxOp {
  return {
    attributes: [],
    run: single((inputs, _a, ctx) => fn(need(ctx, inputs, 0, 'X'))),
  };
}

/** Softmax/LogSoftmax: opset < 13 normalises x flattened to 2-D at `axis` (default 1); 13+ along one axis (default -1). */
function softmaxOp(fn: typeof normalization.softmax): OnnxOp {
  return {
    attributes: ['axis'],
    run: single((inputs, attrs, ctx) => {
      const x = need(ctx, inputs, 0, 'input');
      if (ctx.opset >= 13) return fn(x, { axis: attrs.int('axis', -1) });
      let axis = attrs.int('axis', 1);
      if (axis < -x.rank || axis >= Math.max(x.rank, 1)) badModel(ctx, `axis must be in [${-x.rank}, ${x.rank - 1}], got ${axis}`);
      if (axis < 0) axis += x.rank;
      if (axis >= x.rank - 1) return fn(x, { axis: -1 });
      // Flatten-to-2D semantics: one softmax over all dims from `axis` on.
      const flat = ctx.temp(layout.reshape(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))]));
      return layout.reshape(ctx.temp(fn(flat, { axis: -1 })), [...x.shape]);
    }),
  };
}

function squeezeOp(name: 'squeeze' | 'unsqueeze'): OnnxOp {
  return {
    attributes: ['axes'],
    hostInputs: (opset) => (opset >= 13 ? [1] : []),
    check(attrs, opset) {
      return opset >= 13 && attrs.has('axes') ? 'attribute axes (an input from opset 13)' : undefined;
    },
    run: single((inputs, attrs, ctx) => {
      const x = need(ctx, inputs, 0, 'data');
      const axes = ctx.opset >= 13 ? (ctx.values[1] ? intsOf(ctx, ctx.values[1], 'axes') : undefined) : attrs.ints('axes');
      if (name === 'squeeze') return layout.squeeze(x, axes === undefined ? {} : { axes });
      if (axes === undefined) badModel(ctx, 'axes is required');
      return layout.unsqueeze(x, { axes });
    }),
  };
}

/**
 * BatchNormalization with training_mode=1 (opset 14+): normalise with the batch's own mean and
 * (population) variance over every axis but the channel; also return the running statistics
 * input * momentum + batch * (1 - momentum).
 */
function batchNormTraining(x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, epsilon: number, momentum: number, ctx: NodeContext): Tensor[] {
  if (x.rank < 2) badModel(ctx, `X must have rank >= 2 (N, C, ...), got shape [${x.shape.join(',')}]`);
  const { add, sub, mul, div, sqrt } = elementwise;
  const C = x.shape[1]!;
  const t = ctx.temp;
  const scalar = (v: number) => t(on(x.device, tensor(v, [], { dtype: x.dtype })));
  const axes = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
  const perChannel = (p: Tensor) => t(layout.reshape(p, [C, ...x.shape.slice(2).map(() => 1)]));
  const batchMean = t(reduce.mean(x, { axes, keepdims: true }));
  const centred = t(sub(x, batchMean));
  const batchVar = t(reduce.mean(t(mul(centred, centred)), { axes, keepdims: true }));
  const normalised = t(div(centred, t(sqrt(t(add(batchVar, scalar(epsilon)))))));
  const y = add(t(mul(normalised, perChannel(scale))), perChannel(bias));
  const running = (stat: Tensor, batch: Tensor) =>
    add(t(mul(stat, scalar(momentum))), t(mul(t(layout.reshape(batch, [C])), scalar(1 - momentum))));
  return [y, running(mean, batchMean), running(variance, batchVar)];
}

/** Constant's value attribute, whichever form it takes. */
function constantValue(attrs: NodeAttributes, ctx: NodeContext): Tensor {
  const t = attrs.tensor('value');
  if (t) return tensorFromProto(t);
  const f = attrs.float('value_float');
  if (f !== undefined) return tensor(Math.fround(f), [], { dtype: 'float32' });
  const fs = attrs.floats('value_floats');
  if (fs) return tensor(Float32Array.from(fs), [fs.length], { dtype: 'float32' });
  const i = attrs.int('value_int');
  if (i !== undefined) return int64Tensor([i], []);
  const is = attrs.ints('value_ints');
  if (is) return int64Tensor(is, [is.length]);
  badModel(ctx, 'Constant has no value attribute');
}

/** Cast's target type: an int (opset 6+) or, in opsets 1-5, the type's name ("FLOAT", "INT64", ...). */
function castTarget(attrs: NodeAttributes): number | undefined {
  if (attrs.typeOf('to') !== ONNX_ATTRIBUTE_TYPE.STRING) return attrs.int('to');
  const name = attrs.string('to', '').toUpperCase();
  const type = (ONNX_DATA_TYPE as Record<string, number>)[name];
  if (type === undefined) throw new LeptonError('BAD_MODEL', `onnx: node ${describeNode(attrs.node)}: attribute to must name an ONNX type, got ${JSON.stringify(name)}`);
  return type;
}

const CONSTANT_FORMS = ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'];

// ---- the table ----

export const ONNX_OPS: Readonly<Record<string, OnnxOp>> = {
  // 2-D, and 1-D lifted to [N,C,1,L] with a [M,C/g,1,K] kernel; 3-D is not implemented.
  Conv: {
    attributes: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
    check(attrs, _o, _n, ranks) {
      const k = attrs.ints('kernel_shape');
      if (k && k.length !== 1 && k.length !== 2) return `kernel_shape of length ${k.length}: 1-D and 2-D convolution are implemented`;
      return convRankReason(ranks[0]) ?? convRankReason(ranks[1]);
    },
    run: single((inputs, attrs, ctx) => {
      const x = need(ctx, inputs, 0, 'X');
      const w = need(ctx, inputs, 1, 'W');
      const reason = convRankReason(x.rank) ?? convRankReason(w.rank);
      if (reason) unsupported(ctx, reason);
      const opts = windowOptions(attrs, ctx);
      opts.groups = attrs.int('group', 1);
      if (inputs[2]) opts.bias = inputs[2];
      if (x.rank === 4) return linear.conv2d(x, w, opts);
      const [N, C, L] = x.shape as [number, number, number];
      const x2 = ctx.temp(layout.reshape(x, [N, C, 1, L]));
      const w2 = w.rank === 3 ? ctx.temp(layout.reshape(w, [w.shape[0]!, w.shape[1]!, 1, w.shape[2]!])) : w;
      const y = ctx.temp(linear.conv2d(x2, w2, window2d(opts, 1, [undefined, 0])));
      return layout.reshape(y, [y.shape[0]!, y.shape[1]!, y.shape[3]!]);
    }),
  },
  MatMul: { attributes: [], run: single((inputs, _a, ctx) => linear.matmul(need(ctx, inputs, 0, 'A'), need(ctx, inputs, 1, 'B'))) },
  Gemm: {
    attributes: ['alpha', 'beta', 'transA', 'transB', 'broadcast'],
    run: single((inputs, attrs, ctx) => linear.gemm(need(ctx, inputs, 0, 'A'), need(ctx, inputs, 1, 'B'), inputs[2], {
      alpha: attrs.float('alpha', 1), beta: attrs.float('beta', 1),
      transA: attrs.int('transA', 0) !== 0, transB: attrs.int('transB', 0) !== 0,
    })),
  },
  ...Object.fromEntries(Object.keys(REDUCE_KINDS).map((k) => [k, reduceOp(k)])),
  ArgMax: argOp(reduce.argmax),
  ArgMin: argOp(reduce.argmin),
  MaxPool: poolOp('max'),
  AveragePool: poolOp('avg'),
  GlobalAveragePool: globalPoolOp(pool.globalAvgPool),
  GlobalMaxPool: globalPoolOp(pool.globalMaxPool),
  Relu: unaryOp(elementwise.relu),
  Sigmoid: unaryOp(elementwise.sigmoid),
  Tanh: unaryOp(elementwise.tanh),
  Exp: unaryOp(elementwise.exp),
  Log: unaryOp(elementwise.log),
  Abs: unaryOp(elementwise.abs),
  Neg: unaryOp(elementwise.neg),
  Sqrt: unaryOp(elementwise.sqrt),
  Erf: unaryOp(elementwise.erf),
  Reciprocal: unaryOp(elementwise.reciprocal),
  Gelu: {
    attributes: ['approximate'],
    check(attrs) {
      const a = attrs.string('approximate', 'none');
      return a === 'none' || a === 'tanh' ? undefined : `approximate=${JSON.stringify(a)}`;
    },
    run: single((inputs, attrs, ctx) => elementwise.gelu(need(ctx, inputs, 0, 'X'), { approximate: attrs.string('approximate', 'none') as 'none' | 'tanh' })),
  },
  Clip: {
    attributes: ['min', 'max'],
    hostInputs: (opset) => (opset >= 11 ? [1, 2] : []),
    run: single((inputs, attrs, ctx) => {
      const x = need(ctx, inputs, 0, 'input');
      const opts: { min?: number; max?: number } = {};
      if (ctx.opset >= 11) {
        if (ctx.values[1]) opts.min = scalarOf(ctx, ctx.values[1], 'min');
        if (ctx.values[2]) opts.max = scalarOf(ctx, ctx.values[2], 'max');
      } else {
        opts.min = attrs.float('min');
        opts.max = attrs.float('max');
      }
      return elementwise.clip(x, opts);
    }),
  },
  Softmax: softmaxOp(normalization.softmax),
  LogSoftmax: softmaxOp(normalization.logSoftmax),
  Add: binaryOp(elementwise.add),
  Sub: binaryOp(elementwise.sub),
  Mul: binaryOp(elementwise.mul),
  Div: binaryOp(elementwise.div),
  Pow: binaryOp(elementwise.pow),
  Max: variadicOp(elementwise.maximum),
  Min: variadicOp(elementwise.minimum),
  Sum: variadicOp(elementwise.add),
  Mean: variadicOp(elementwise.add, true),
  BatchNormalization: {
    attributes: ['epsilon', 'momentum', 'training_mode', 'spatial', 'is_test', 'consumed_inputs'],
    check(attrs, opset, node) {
      if (attrs.int('spatial', 1) !== 1) return 'spatial=0 (per-activation statistics)';
      // Before opset 14 the extra outputs were saved statistics for a training backward pass.
      return opset < 14 ? extraOutputs(node, 1) : undefined;
    },
    run(inputs, attrs, ctx) {
      const x = need(ctx, inputs, 0, 'X');
      const params = [1, 2, 3, 4].map((i) => need(ctx, inputs, i, ['scale', 'B', 'input_mean', 'input_var'][i - 1]!));
      const [scale, bias, mean, variance] = params as [Tensor, Tensor, Tensor, Tensor];
      const epsilon = attrs.float('epsilon', 1e-5);
      if (ctx.opset < 14 || attrs.int('training_mode', 0) === 0) return [normalization.batchNorm(x, scale, bias, mean, variance, { epsilon })];
      return batchNormTraining(x, scale, bias, mean, variance, epsilon, attrs.float('momentum', 0.9), ctx);
    },
  },
  Reshape: {
    attributes: ['allowzero', 'shape'],
    hostInputs: (opset) => (opset >= 5 ? [1] : []),
    run: single((inputs, attrs, ctx) => {
      const x = need(ctx, inputs, 0, 'data');
      const shape = ctx.opset >= 5 ? (ctx.values[1] ? intsOf(ctx, ctx.values[1], 'shape') : badModel(ctx, 'input 1 (shape) is required')) : attrs.ints('shape');
      if (!shape) badModel(ctx, 'attribute shape is required');
      const allowZero = attrs.int('allowzero', 0) !== 0;
      return layout.reshape(x, shape, allowZero ? { allowZero } : {});
    }),
  },
  Flatten: {
    attributes: ['axis'],
    run: single((inputs, attrs, ctx) => layout.flatten(need(ctx, inputs, 0, 'input'), { axis: attrs.int('axis', 1) })),
  },
  Transpose: {
    attributes: ['perm'],
    run: single((inputs, attrs, ctx) => {
      const perm = attrs.ints('perm');
      return layout.transpose(need(ctx, inputs, 0, 'data'), perm === undefined ? {} : { perm });
    }),
  },
  Concat: {
    attributes: ['axis'],
    run: single((inputs, attrs, ctx) => {
      const axis = attrs.int('axis');
      if (axis === undefined) badModel(ctx, 'attribute axis is required');
      const xs = inputs.filter((t): t is Tensor => t !== undefined);
      if (xs.length === 1) return alias(xs[0]!);
      return layout.concat(xs, { axis });
    }),
  },
  Squeeze: squeezeOp('squeeze'),
  Unsqueeze: squeezeOp('unsqueeze'),
  Identity: { attributes: [], run: single((inputs, _a, ctx) => alias(need(ctx, inputs, 0, 'input'))) },
  Dropout: {
    attributes: ['ratio', 'seed', 'is_test', 'consumed_inputs', 'training_mode'],
    hostInputs: (opset) => (opset >= 12 ? [2] : []),
    check(_attrs, _o, node) {
      return extraOutputs(node, 1);
    },
    run: single((inputs, _a, ctx) => {
      const training = ctx.values[2];
      if (training && scalarOf(ctx, training, 'training_mode') !== 0) unsupported(ctx, 'training_mode=true (dropout is only an identity at inference)');
      return alias(need(ctx, inputs, 0, 'data'));
    }),
  },
  Constant: {
    attributes: [...CONSTANT_FORMS, 'sparse_value', 'value_string', 'value_strings'],
    check(attrs) {
      const forms = attrs.names().filter((n) => n.startsWith('value') || n === 'sparse_value');
      if (forms.length !== 1) return `exactly one value attribute must be given, got ${forms.length}`;
      if (!CONSTANT_FORMS.includes(forms[0]!)) return `a ${forms[0]} constant`;
      const t = forms[0] === 'value' ? attrs.tensor('value') : undefined;
      if (t) {
        try {
          dtypeFromOnnx(t.dataType, 'value');
        } catch (err) {
          return (err as Error).message;
        }
      }
      return undefined;
    },
    run: (_inputs, attrs, ctx) => [constantValue(attrs, ctx)],
  },
  Cast: {
    attributes: ['to', 'saturate', 'round_mode'],
    check(attrs) {
      const to = castTarget(attrs);
      if (to === undefined) return undefined;
      try {
        dtypeFromOnnx(to, 'Cast target');
        return undefined;
      } catch {
        return `cast to ${onnxTypeName(to)}`;
      }
    },
    run: single((inputs, attrs, ctx) => {
      const to = castTarget(attrs);
      if (to === undefined) badModel(ctx, 'attribute to is required');
      return cast(need(ctx, inputs, 0, 'input'), dtypeFromOnnx(to, 'Cast target'));
    }),
  },
  CastLike: {
    attributes: ['saturate', 'round_mode'],
    run: single((inputs, _a, ctx) => cast(need(ctx, inputs, 0, 'input'), need(ctx, inputs, 1, 'target_type').dtype)),
  },
  Shape: {
    attributes: ['start', 'end'],
    run: single((inputs, attrs, ctx) => {
      const shape = need(ctx, inputs, 0, 'data').shape;
      const r = shape.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const start = clamp(attrs.int('start', 0));
      const end = clamp(attrs.int('end', r));
      const dims = shape.slice(start, Math.max(start, end));
      return int64Tensor(dims, [dims.length]);
    }),
  },
  Size: { attributes: [], run: single((inputs, _a, ctx) => int64Tensor([need(ctx, inputs, 0, 'data').size], [])) },
};

/** Attribute types that hold subgraphs: control flow is not supported. */
const GRAPH_ATTRIBUTE_TYPES: readonly number[] = [ONNX_ATTRIBUTE_TYPE.GRAPH, ONNX_ATTRIBUTE_TYPE.GRAPHS];

/**
 * Why a node cannot run, or undefined when it can (as far as is known before running).
 * BAD_MODEL errors from reading malformed attributes propagate.
 */
export function unsupportedReason(node: OnnxNode, opset: number, ranks: readonly (number | undefined)[]): string | undefined {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return `domain ${JSON.stringify(node.domain)} (only the default ONNX domain is implemented)`;
  const op = Object.prototype.hasOwnProperty.call(ONNX_OPS, node.opType) ? ONNX_OPS[node.opType] : undefined;
  if (!op) return 'no implementation of this operator';
  const attrs = new NodeAttributes(node);
  const unknown = attrs.names().filter((n) => !op.attributes.includes(n));
  if (unknown.length) return `attribute(s) ${unknown.join(', ')} not implemented`;
  if (node.attributes.some((a) => GRAPH_ATTRIBUTE_TYPES.includes(a.type))) return 'subgraph attributes';
  return op.check?.(attrs, opset, node, ranks);
}
