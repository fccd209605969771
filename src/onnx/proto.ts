/**
 * Decodes ONNX protobufs (ModelProto, TensorProto) with protobufjs and the schema in
 * schema.ts, then copies them into plain, validated objects: 64-bit integers become
 * bigint (exact) or safe numbers, strings stay strings, bytes stay Uint8Array.
 * Anything malformed is a LeptonError('BAD_MODEL'); nothing else escapes.
 */
import protobuf from 'protobufjs/light.js';
import { LeptonError } from '../errors.js';
import { ONNX_ATTRIBUTE_TYPE, ONNX_SCHEMA } from './schema.js';

export interface OnnxTensorProto {
  readonly name: string;
  /** Dimensions as numbers; tensor.ts checks they are safe non-negative integers. */
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly rawData?: Uint8Array;
  readonly floatData: readonly number[];
  readonly int32Data: readonly number[];
  readonly int64Data: readonly bigint[];
  readonly uint64Data: readonly bigint[];
  readonly doubleData: readonly number[];
  readonly stringCount: number;
  /** data_location == EXTERNAL or external_data entries present. */
  readonly external: boolean;
  readonly externalLocation?: string;
  readonly segmented: boolean;
}

export interface OnnxAttribute {
  readonly name: string;
  /** AttributeProto.AttributeType; inferred from the fields present when the model leaves it 0. */
  readonly type: number;
  readonly refAttrName: string;
  readonly f: number;
  readonly i: bigint;
  readonly s: Uint8Array;
  readonly t?: OnnxTensorProto;
  readonly g?: OnnxGraph;
  readonly floats: readonly number[];
  readonly ints: readonly bigint[];
  readonly strings: readonly Uint8Array[];
  readonly tensors: readonly OnnxTensorProto[];
  readonly graphs: readonly OnnxGraph[];
}

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly attributes: readonly OnnxAttribute[];
}

export interface OnnxValueInfo {
  readonly name: string;
  /** TensorProto.DataType of a tensor type; undefined for other types or when absent. */
  readonly elemType?: number;
  /** Per dimension: a number, a symbolic name, or undefined (unknown). undefined: rank unknown. */
  readonly shape?: readonly (number | string | undefined)[];
  /** 'tensor', 'sequence', 'map', 'optional', 'sparse_tensor', 'opaque' or 'none'. */
  readonly kind: string;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensorProto[];
  readonly sparseInitializerCount: number;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly valueInfo: readonly OnnxValueInfo[];
}

export interface OnnxOpsetId {
  readonly domain: string;
  readonly version: number;
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly opsetImport: readonly OnnxOpsetId[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly domain: string;
  readonly modelVersion: number;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly graph: OnnxGraph;
}

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const ModelType = root.lookupType('onnx.ModelProto');
const TensorType = root.lookupType('onnx.TensorProto');

/** Subgraphs nest through attributes; bound the depth so hostile input cannot exhaust the stack. */
const MAX_GRAPH_DEPTH = 64;

function bad(what: string, cause?: unknown): never {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  throw new LeptonError('BAD_MODEL', `onnx: ${what}${detail}`, cause === undefined ? undefined : { cause });
}

function asBytes(what: string, data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new LeptonError('BAD_ARGUMENT', `onnx: ${what} must be a Uint8Array or ArrayBuffer, got ${data === null ? 'null' : typeof data}`);
}

/** Parses serialized bytes as an onnx.ModelProto. */
export function decodeModel(data: Uint8Array | ArrayBuffer): OnnxModel {
  const bytes = asBytes('model bytes', data);
  if (bytes.length === 0) bad('model is empty (0 bytes)');
  let msg: Record<string, unknown>;
  try {
    msg = ModelType.decode(bytes) as unknown as Record<string, unknown>;
  } catch (err) {
    bad('model is not a valid ModelProto', err);
  }
  try {
    return toModel(msg);
  } catch (err) {
    if (err instanceof LeptonError) throw err;
    bad('model is not a valid ModelProto', err);
  }
}

/** Parses serialized bytes as an onnx.TensorProto (the .pb files of ONNX test data). */
export function decodeTensorProto(data: Uint8Array | ArrayBuffer): OnnxTensorProto {
  const bytes = asBytes('tensor bytes', data);
  let msg: Record<string, unknown>;
  try {
    msg = TensorType.decode(bytes) as unknown as Record<string, unknown>;
  } catch (err) {
    bad('data is not a valid TensorProto', err);
  }
  try {
    return toTensor(msg);
  } catch (err) {
    if (err instanceof LeptonError) throw err;
    bad('data is not a valid TensorProto', err);
  }
}

// ---- conversion from protobufjs messages ----

type Msg = Record<string, unknown>;

interface LongLike { low: number; high: number; unsigned?: boolean }

/** An int64/uint64 field value (a Long, or a number when protobufjs has no Long) as an exact bigint. */
function toBigInt(v: unknown, unsigned = false): bigint {
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string') return BigInt(v);
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const l = v as LongLike;
    const bits = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    return unsigned ? BigInt.asUintN(64, bits) : BigInt.asIntN(64, bits);
  }
  return 0n;
}

/** An int64 field that must fit a JS number (sizes, versions); out-of-range values become NaN so checks reject them. */
function toNumber(v: unknown): number {
  const b = toBigInt(v);
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : NaN;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const bytesOf = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(0));
const has = (m: Msg, key: string): boolean => Object.prototype.hasOwnProperty.call(m, key);

function entries(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of list(v) as Msg[]) out[str(e.key)] = str(e.value);
  return out;
}

function toModel(m: Msg): OnnxModel {
  if (!has(m, 'graph') || !m.graph) bad('model has no graph (ModelProto field 7)');
  return {
    irVersion: toNumber(m.irVersion),
    opsetImport: (list(m.opsetImport) as Msg[]).map((o) => ({ domain: str(o.domain), version: toNumber(o.version) })),
    producerName: str(m.producerName),
    producerVersion: str(m.producerVersion),
    domain: str(m.domain),
    modelVersion: toNumber(m.modelVersion),
    docString: str(m.docString),
    metadata: entries(m.metadataProps),
    graph: toGraph(m.graph as Msg, 0),
  };
}

function toGraph(g: Msg, depth: number): OnnxGraph {
  if (depth > MAX_GRAPH_DEPTH) bad(`subgraphs nest deeper than ${MAX_GRAPH_DEPTH} levels`);
  return {
    name: str(g.name),
    nodes: (list(g.node) as Msg[]).map((n) => toNode(n, depth)),
    initializers: (list(g.initializer) as Msg[]).map(toTensor),
    sparseInitializerCount: list(g.sparseInitializer).length,
    inputs: (list(g.input) as Msg[]).map(toValueInfo),
    outputs: (list(g.output) as Msg[]).map(toValueInfo),
    valueInfo: (list(g.valueInfo) as Msg[]).map(toValueInfo),
  };
}

function toNode(n: Msg, depth: number): OnnxNode {
  return {
    name: str(n.name),
    opType: str(n.opType),
    domain: str(n.domain),
    input: list(n.input).map(str),
    output: list(n.output).map(str),
    attributes: (list(n.attribute) as Msg[]).map((a) => toAttribute(a, depth)),
  };
}

function toAttribute(a: Msg, depth: number): OnnxAttribute {
  const T = ONNX_ATTRIBUTE_TYPE;
  let type = typeof a.type === 'number' ? a.type : 0;
  if (type === T.UNDEFINED) {
    // IR < 3 models may omit the type: infer it from the one field that is set.
    if (has(a, 'f')) type = T.FLOAT;
    else if (has(a, 'i')) type = T.INT;
    else if (has(a, 's')) type = T.STRING;
    else if (has(a, 't')) type = T.TENSOR;
    else if (has(a, 'g')) type = T.GRAPH;
    else if (list(a.floats).length) type = T.FLOATS;
    else if (list(a.ints).length) type = T.INTS;
    else if (list(a.strings).length) type = T.STRINGS;
    else if (list(a.tensors).length) type = T.TENSORS;
    else if (list(a.graphs).length) type = T.GRAPHS;
  }
  return {
    name: str(a.name),
    type,
    refAttrName: str(a.refAttrName),
    f: typeof a.f === 'number' ? a.f : 0,
    i: toBigInt(a.i),
    s: bytesOf(a.s),
    t: has(a, 't') && a.t ? toTensor(a.t as Msg) : undefined,
    g: has(a, 'g') && a.g ? toGraph(a.g as Msg, depth + 1) : undefined,
    floats: list(a.floats) as number[],
    ints: list(a.ints).map((v) => toBigInt(v)),
    strings: list(a.strings).map(bytesOf),
    tensors: (list(a.tensors) as Msg[]).map(toTensor),
    graphs: (list(a.graphs) as Msg[]).map((g) => toGraph(g, depth + 1)),
  };
}

function toTensor(t: Msg): OnnxTensorProto {
  const external = list(t.externalData) as Msg[];
  const location = external.find((e) => e.key === 'location');
  return {
    name: str(t.name),
    dims: list(t.dims).map(toNumber),
    dataType: typeof t.dataType === 'number' ? t.dataType : 0,
    rawData: has(t, 'rawData') ? bytesOf(t.rawData) : undefined,
    floatData: list(t.floatData) as number[],
    int32Data: list(t.int32Data) as number[],
    int64Data: list(t.int64Data).map((v) => toBigInt(v)),
    uint64Data: list(t.uint64Data).map((v) => toBigInt(v, true)),
    doubleData: list(t.doubleData) as number[],
    stringCount: list(t.stringData).length,
    external: t.dataLocation === 1 || external.length > 0,
    externalLocation: location ? str(location.value) : undefined,
    segmented: has(t, 'segment') && t.segment !== null && t.segment !== undefined,
  };
}

function toValueInfo(v: Msg): OnnxValueInfo {
  const name = str(v.name);
  const type = v.type as Msg | undefined;
  if (!type) return { name, kind: 'none' };
  const tensorType = (type.tensorType ?? undefined) as Msg | undefined;
  if (!tensorType) {
    const kind = type.sequenceType ? 'sequence' : type.mapType ? 'map' : type.optionalType ? 'optional'
      : type.sparseTensorType ? 'sparse_tensor' : type.opaqueType ? 'opaque' : 'none';
    return { name, kind };
  }
  const elemType = typeof tensorType.elemType === 'number' ? tensorType.elemType : undefined;
  const shapeMsg = tensorType.shape as Msg | undefined;
  const shape = shapeMsg
    ? (list(shapeMsg.dim) as Msg[]).map((d) => (has(d, 'dimValue') ? toNumber(d.dimValue) : has(d, 'dimParam') ? str(d.dimParam) : undefined))
    : undefined;
  return { name, kind: 'tensor', elemType, shape };
}
