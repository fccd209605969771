/**
 * The `dynamicBatch` load option: makes dimension 0 of the graph inputs (the batch) dynamic in a
 * model exported with a fixed batch (MNIST's CNTK export hard-codes 1 in its Reshape constants).
 * It follows the batch through the graph and rewrites each Reshape whose constant shape fixes the
 * batch (its first entry equals the exported batch) to -1 (or 0 when the shape already has a -1).
 * Anything it cannot prove keeps samples independent (an op that mixes the batch dimension, a
 * computed shape, an unknown op) is refused with UNSUPPORTED_OP naming the node: a wrong answer
 * at another batch size must never be possible.
 */
import { LeptonError } from '../errors.js';
import { describeNode, NodeAttributes } from './attributes.js';
import type { OnnxModel, OnnxNode, OnnxTensorProto, OnnxValueInfo } from './proto.js';
import { ONNX_DATA_TYPE } from './schema.js';
import { hostTensorFromProto } from './tensor.js';

/** Ops that map each sample to itself and keep dim 0 as the batch when input 0 carries it. */
const PER_SAMPLE_UNARY = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Abs', 'Neg', 'Sqrt', 'Erf', 'Reciprocal', 'Gelu', 'Clip', 'Identity', 'Dropout', 'Cast',
  'Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'BatchNormalization',
]);
const BROADCASTING = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean']);

function refuse(node: OnnxNode, reason: string): never {
  throw new LeptonError('UNSUPPORTED_OP', `onnx: dynamicBatch: node ${describeNode(node)} ${reason}; load the model without dynamicBatch and run it at its exported batch size`);
}

/** Returns `model` with a dynamic batch dimension (a new object; the input is not changed). */
export function makeBatchDynamic(model: OnnxModel, order: readonly OnnxNode[], opset: number): OnnxModel {
  const graph = model.graph;
  const inits = new Map(graph.initializers.map((t) => [t.name, t]));
  const feeds = graph.inputs.filter((i) => !inits.has(i.name));
  if (feeds.length === 0) throw new LeptonError('UNSUPPORTED_OP', 'onnx: dynamicBatch: the graph has no inputs to batch');
  let exported: number | undefined;
  const rank = new Map<string, number | undefined>(); // values that carry the batch in dim 0, with their rank when known
  for (const f of feeds) {
    if (!f.shape || f.shape.length === 0) throw new LeptonError('UNSUPPORTED_OP', `onnx: dynamicBatch: graph input ${JSON.stringify(f.name)} must declare a shape with a batch dimension, got ${f.shape ? 'a scalar' : 'no shape'}`);
    const d = f.shape[0];
    if (typeof d === 'number') {
      if (exported !== undefined && exported !== d) throw new LeptonError('UNSUPPORTED_OP', `onnx: dynamicBatch: graph inputs disagree on the batch size (${exported} and ${d})`);
      exported = d;
    }
    rank.set(f.name, f.shape.length);
  }

  // Constant values: initializers, Constant outputs, and anything computed only from them.
  const constant = new Set<string>(inits.keys());
  const constantShape = new Map<string, readonly number[]>(graph.initializers.map((t) => [t.name, t.dims]));
  const constantProto = new Map<string, OnnxTensorProto>(inits);
  const newInits: OnnxTensorProto[] = [];
  const rewritten = new Map<OnnxNode, OnnxNode>();

  for (const node of order) {
    const ins = node.input.filter((n) => n !== '');
    const batchIdx = node.input.map((n, i) => (rank.has(n) ? i : -1)).filter((i) => i >= 0);
    if (batchIdx.length === 0) {
      if (ins.every((n) => constant.has(n))) {
        for (const o of node.output) if (o) constant.add(o);
        if (node.opType === 'Reshape') {
          const dims = constantShape.get(node.input[0]!);
          const proto = node.input[1] ? constantProto.get(node.input[1]) : undefined;
          if (dims && proto) constantShape.set(node.output[0]!, reshaped(dims, proto, new NodeAttributes(node).int('allowzero', 0) !== 0));
        }
        if (node.opType === 'Constant') {
          const t = new NodeAttributes(node).tensor('value');
          if (t) {
            constantShape.set(node.output[0]!, t.dims);
            constantProto.set(node.output[0]!, t);
          }
        }
      }
      continue;
    }
    const attrs = new NodeAttributes(node);
    const r0 = rank.get(node.input[0]!);
    const out = (r: number | undefined) => rank.set(node.output[0]!, r);
    const op = node.opType;
    if (node.domain !== '' && node.domain !== 'ai.onnx') refuse(node, 'is outside the default domain');
    if (PER_SAMPLE_UNARY.has(op)) {
      if (batchIdx.some((i) => i !== 0)) refuse(node, `takes a batch-carrying value as input ${batchIdx.find((i) => i !== 0)}, not as its data input`);
      if (node.output.slice(1).some((o) => o !== '')) refuse(node, 'uses outputs beyond the first');
      out(op.startsWith('Global') ? r0 : r0);
    } else if (BROADCASTING.has(op)) {
      const ranks = batchIdx.map((i) => rank.get(node.input[i]!));
      const R = ranks.some((r) => r === undefined) ? undefined : Math.max(...(ranks as number[]));
      for (const name of ins) {
        if (rank.has(name)) continue;
        const shape = constantShape.get(name);
        if (!shape) refuse(node, `broadcasts the batch against ${JSON.stringify(name)}, whose shape is not a known constant`);
        const safe = R !== undefined && (shape.length < R || (shape.length === R && shape[0] === 1));
        if (!safe) refuse(node, `broadcasts the batch against ${JSON.stringify(name)} of shape [${shape.join(',')}]${R === undefined ? ' (batch value of unknown rank)' : ''}`);
      }
      out(R);
    } else if (op === 'MatMul') {
      if (batchIdx.includes(1)) refuse(node, 'multiplies by a batch-carrying right operand');
      const b = constantShape.get(node.input[1]!);
      if (!b || b.length !== 2) refuse(node, 'needs a constant 2-D right operand to keep the batch in dim 0');
      if (r0 === undefined || r0 < 2) refuse(node, 'has a left operand of unknown or 1-D rank');
      out(r0);
    } else if (op === 'Gemm') {
      if (batchIdx.some((i) => i !== 0) || attrs.int('transA', 0) !== 0) refuse(node, 'reads the batch other than as the rows of A');
      const c = node.input[2] ? constantShape.get(node.input[2]) : [];
      if (c === undefined || (c.length === 2 && c[0] !== 1)) refuse(node, 'adds a C that fixes the batch');
      out(2);
    } else if (op === 'Flatten') {
      const axis = attrs.int('axis', 1);
      if (axis === 0 || (axis < 0 && (r0 === undefined || axis + r0 <= 0))) refuse(node, `flattens across the batch (axis ${axis})`);
      out(2);
    } else if (op === 'Transpose') {
      const perm = attrs.ints('perm');
      if (!perm || perm[0] !== 0) refuse(node, 'moves the batch dimension');
      out(r0);
    } else if (op === 'Softmax' || op === 'LogSoftmax') {
      const axis = attrs.int('axis', opset >= 13 ? -1 : 1);
      const a = axis < 0 && r0 !== undefined ? axis + r0 : axis;
      if (a <= 0) refuse(node, `normalises across the batch (axis ${axis})`);
      out(r0);
    } else if (op === 'Concat') {
      const axis = attrs.int('axis', 0);
      const a = axis < 0 && r0 !== undefined ? axis + r0 : axis;
      if (a <= 0) refuse(node, `concatenates along the batch (axis ${axis})`);
      if (ins.some((n) => !rank.has(n))) refuse(node, 'concatenates a batch-carrying value with a fixed one');
      out(r0);
    } else if (op === 'Reshape') {
      if (batchIdx.includes(1)) refuse(node, 'takes its shape from a batch-carrying value');
      const shapeName = opset >= 5 ? node.input[1] : undefined;
      let shape: number[];
      if (shapeName !== undefined) {
        const proto = constantProto.get(shapeName);
        if (!proto) refuse(node, 'has a computed shape input (only constant shapes can be rewritten)');
        const h = hostTensorFromProto(proto);
        shape = Array.from(h.data as ArrayLike<number | bigint>, Number);
      } else {
        shape = attrs.ints('shape') ?? refuse(node, 'has no shape');
      }
      const allowZero = attrs.int('allowzero', 0) !== 0;
      const first = shape[0];
      let fixed: number[] | undefined;
      if (first === -1 || (first === 0 && !allowZero)) fixed = undefined; // already follows the input's batch
      else if (exported !== undefined && first === exported) {
        if (!shape.includes(-1)) fixed = [-1, ...shape.slice(1)];
        else if (!allowZero) fixed = [0, ...shape.slice(1)];
        else refuse(node, 'has a shape with -1 elsewhere and allowzero=1');
      } else refuse(node, `reshapes the batch into [${shape.join(',')}]`);
      if (fixed) {
        if (shapeName === undefined) refuse(node, 'keeps its shape in an attribute (opset < 5)');
        const name = `${shapeName}::dynamic_batch::${node.output[0]}`;
        newInits.push(int64Proto(name, fixed));
        rewritten.set(node, { ...node, input: [node.input[0]!, name, ...node.input.slice(2)] });
      }
      out(shape.length);
    } else {
      refuse(node, `(${op}) is not known to keep samples independent`);
    }
    for (const o of node.output.slice(1)) if (o) refuse(node, 'has extra outputs on the batch path');
  }

  const dynamic = (v: OnnxValueInfo): OnnxValueInfo =>
    rank.has(v.name) && v.shape && v.shape.length ? { ...v, shape: ['N', ...v.shape.slice(1)] } : v;
  return {
    ...model,
    graph: {
      ...graph,
      nodes: graph.nodes.map((n) => rewritten.get(n) ?? n),
      initializers: [...graph.initializers, ...newInits],
      inputs: graph.inputs.map(dynamic),
      outputs: graph.outputs.map(dynamic),
      valueInfo: graph.valueInfo.map(dynamic),
    },
  };
}

/** The output shape of Reshape(dims, shape) (ONNX rules for 0 and -1). */
function reshaped(dims: readonly number[], proto: OnnxTensorProto, allowZero: boolean): number[] {
  const shape = Array.from(hostTensorFromProto(proto).data as ArrayLike<number | bigint>, Number);
  const size = dims.reduce((a, b) => a * b, 1);
  const out = shape.map((d, i) => (d === 0 && !allowZero ? dims[i]! : d));
  const known = out.reduce((a, d) => (d === -1 ? a : a * d), 1);
  return out.map((d) => (d === -1 ? size / known : d));
}

function int64Proto(name: string, values: readonly number[]): OnnxTensorProto {
  return {
    name, dims: [values.length], dataType: ONNX_DATA_TYPE.INT64, floatData: [], int32Data: [], int64Data: values.map((v) => BigInt(v)),
    uint64Data: [], doubleData: [], stringCount: 0, external: false, segmented: false,
  };
}
