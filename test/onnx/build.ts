/** Builds small ONNX models and tensors in tests, encoded with protobufjs from the importer's own schema. */
import protobuf from 'protobufjs/light.js';
import { ONNX_ATTRIBUTE_TYPE as A, ONNX_DATA_TYPE as D, ONNX_SCHEMA } from '../../src/onnx/schema.js';

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const Model = root.lookupType('onnx.ModelProto');
const TensorProto = root.lookupType('onnx.TensorProto');

export { D };

export type AttrValue = number | string | number[] | { tensor: Record<string, unknown> } | { float: number } | { floats: number[] };

/** An AttributeProto object: integers are INT(S), { float } / { floats } for floats, strings STRING, { tensor } TENSOR. */
export function attr(name: string, v: AttrValue): Record<string, unknown> {
  if (typeof v === 'number') return { name, type: A.INT, i: v };
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if ('tensor' in v) return { name, type: A.TENSOR, t: v.tensor };
  if ('float' in v) return { name, type: A.FLOAT, f: v.float };
  return { name, type: A.FLOATS, floats: v.floats };
}

export interface NodeSpec { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, AttrValue>; domain?: string; name?: string }
export interface ValueSpec { name: string; type: number; shape?: (number | string)[] }

const valueInfo = (v: ValueSpec) => ({
  name: v.name,
  type: { tensorType: { elemType: v.type, ...(v.shape ? { shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } : {}) } },
});

/** Encodes a one-graph ModelProto. */
export function buildModel(spec: { opset: number; nodes: NodeSpec[]; inputs: ValueSpec[]; outputs: ValueSpec[]; initializers?: Record<string, unknown>[]; irVersion?: number }): Uint8Array {
  const msg = Model.fromObject({
    irVersion: spec.irVersion ?? 8,
    opsetImport: [{ domain: '', version: spec.opset }],
    graph: {
      name: 'g',
      node: spec.nodes.map((n) => ({
        name: n.name ?? '', opType: n.op, domain: n.domain ?? '', input: n.inputs, output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)),
      })),
      initializer: spec.initializers ?? [],
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  });
  return Model.encode(msg).finish();
}

/** An encoded TensorProto. */
export function encodeTensor(fields: Record<string, unknown>): Uint8Array {
  return TensorProto.encode(TensorProto.fromObject(fields)).finish();
}
