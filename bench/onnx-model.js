// Builds single-node ONNX models (bytes) for onnxruntime-node, using the same protobufjs
// schema lepton's importer reads.
import protobuf from 'protobufjs';
import { ONNX_SCHEMA } from '../dist/onnx/schema.js';

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const ModelProto = root.lookupType('onnx.ModelProto');
const FLOAT = 1;
const FLOAT16 = 10;
const INT64 = 7;

const valueInfo = (name, shape, elemType = FLOAT) => ({
  name,
  type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
});

/** Attribute from a JS value: number[] -> ints, integer -> i, float -> f, string -> s. */
function attribute(name, value) {
  if (Array.isArray(value)) return { name, type: 7, ints: value };
  if (typeof value === 'string') return { name, type: 3, s: Buffer.from(value) };
  if (Number.isInteger(value)) return { name, type: 2, i: value };
  return { name, type: 1, f: value };
}

/**
 * inputs: [{ name, shape, elemType? }], outputs likewise; initializers: [{ name, shape, data: BigInt64Array|Float32Array }].
 * Returns Uint8Array of a ModelProto with one node.
 */
export function singleNodeModel({ opType, inputs, outputs, attrs = {}, initializers = [], opset = 18 }) {
  const model = {
    irVersion: 8,
    producerName: 'lepton-bench',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: opType,
      node: [{ opType, input: [...inputs.map((i) => i.name), ...initializers.map((i) => i.name)], output: outputs.map((o) => o.name),
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) }],
      input: inputs.map((i) => valueInfo(i.name, i.shape, i.elemType)),
      output: outputs.map((o) => valueInfo(o.name, o.shape, o.elemType)),
      initializer: initializers.map((t) => ({
        name: t.name, dims: t.shape, dataType: t.data instanceof BigInt64Array ? INT64 : FLOAT,
        rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

export const ELEM = { FLOAT, FLOAT16, INT64 };
