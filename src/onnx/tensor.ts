/** TensorProto <-> lepton-compute tensors: element types, raw_data (little-endian) and the typed fields. */
import { allocate, bytesPerElement, type DType, type TypedArray } from '../dtype.js';
import { LeptonError } from '../errors.js';
import { hostStorage } from '../storage.js';
import { tensorOf, type Tensor } from '../tensor.js';
import type { OnnxTensorProto } from './proto.js';
import { ONNX_DATA_TYPE } from './schema.js';

const D = ONNX_DATA_TYPE;

/** ONNX TensorProto.DataType -> our dtype, for the types the CPU holds. */
const FROM_ONNX: Readonly<Record<number, DType>> = {
  [D.FLOAT]: 'float32', [D.DOUBLE]: 'float64', [D.FLOAT16]: 'float16',
  [D.INT8]: 'int8', [D.INT16]: 'int16', [D.INT32]: 'int32', [D.INT64]: 'int64',
  [D.UINT8]: 'uint8', [D.UINT16]: 'uint16', [D.UINT32]: 'uint32', [D.UINT64]: 'uint64',
  [D.BOOL]: 'bool',
};

const TO_ONNX: Readonly<Record<DType, number>> = Object.fromEntries(
  Object.entries(FROM_ONNX).map(([k, v]) => [v, Number(k)]),
) as Record<DType, number>;

const ONNX_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(D).map(([k, v]) => [v, k]));

export function onnxTypeName(type: number): string {
  return ONNX_NAMES[type] ?? `unknown(${type})`;
}

/** Our dtype for an ONNX element type; DTYPE_UNSUPPORTED for string, bfloat16, float8, 4-bit, complex. */
export function dtypeFromOnnx(type: number, what: string): DType {
  const dtype = FROM_ONNX[type];
  if (dtype === undefined) {
    if (ONNX_NAMES[type] === undefined || type === D.UNDEFINED) {
      throw new LeptonError('BAD_MODEL', `onnx: ${what} has data_type ${type}, which is not an ONNX element type`);
    }
    throw new LeptonError('DTYPE_UNSUPPORTED', `onnx: ${what} has element type ${onnxTypeName(type)}, which lepton-compute does not hold (supported: ${Object.values(FROM_ONNX).join(', ')})`);
  }
  return dtype;
}

export function dtypeToOnnx(dtype: DType): number {
  return TO_ONNX[dtype];
}

/** Host data decoded from a TensorProto. */
export interface HostTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function describe(p: OnnxTensorProto): string {
  return p.name ? `tensor ${JSON.stringify(p.name)}` : 'tensor';
}

/** Checks dims and returns the element count. */
function elementCount(p: OnnxTensorProto): number {
  let n = 1;
  for (const d of p.dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new LeptonError('BAD_MODEL', `onnx: ${describe(p)} dims must be non-negative integers, got [${p.dims.join(',')}]`);
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new LeptonError('BAD_MODEL', `onnx: ${describe(p)} has too many elements (dims [${p.dims.join(',')}])`);
  return n;
}

function countMismatch(p: OnnxTensorProto, field: string, n: number, got: number): never {
  throw new LeptonError('BAD_MODEL', `onnx: ${describe(p)} ${field} must hold ${n} elements (dims [${p.dims.join(',')}]), got ${got}`);
}

/** Reads little-endian raw_data into a new array of `dtype`. */
function fromRaw(p: OnnxTensorProto, raw: Uint8Array, dtype: DType, n: number): TypedArray {
  const size = bytesPerElement(dtype);
  if (raw.byteLength !== n * size) {
    throw new LeptonError('BAD_MODEL', `onnx: ${describe(p)} raw_data must be ${n * size} bytes (${n} x ${dtype}), got ${raw.byteLength}`);
  }
  const out = allocate(dtype, n);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  bytes.set(raw); // copy: raw_data is neither aligned nor ours
  if (!littleEndianHost && size > 1) {
    for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  }
  if (dtype === 'bool') for (let i = 0; i < n; i++) if (out[i]) out[i] = 1;
  return out;
}

/** Reads the typed field that ONNX uses for `dtype`. */
function fromTyped(p: OnnxTensorProto, dtype: DType, n: number): TypedArray {
  const out = allocate(dtype, n);
  const fill = (field: string, src: readonly (number | bigint)[], convert: (v: number | bigint) => number | bigint) => {
    if (src.length !== n) countMismatch(p, field, n, src.length);
    const dst = out as unknown as Array<number | bigint>;
    for (let i = 0; i < n; i++) dst[i] = convert(src[i]!);
  };
  const num = (v: number | bigint) => Number(v);
  switch (dtype) {
    case 'float32': fill('float_data', p.floatData, num); break;
    case 'float64': fill('double_data', p.doubleData, num); break;
    // int32_data carries the bits of every type narrower than 32 bits (float16 as its uint16 pattern).
    case 'int32': case 'int16': case 'int8': case 'uint16': case 'uint8': case 'float16':
      fill('int32_data', p.int32Data, num); break;
    case 'bool': fill('int32_data', p.int32Data, (v) => (v ? 1 : 0)); break;
    case 'int64': fill('int64_data', p.int64Data, (v) => BigInt.asIntN(64, BigInt(v))); break;
    case 'uint32': fill('uint64_data', p.uint64Data, num); break;
    case 'uint64': fill('uint64_data', p.uint64Data, (v) => BigInt.asUintN(64, BigInt(v))); break;
  }
  return out;
}

/** Decodes a TensorProto's elements. External data is refused (BAD_MODEL): models must be self-contained bytes. */
export function hostTensorFromProto(p: OnnxTensorProto): HostTensor {
  if (p.external) {
    throw new LeptonError('BAD_MODEL', `onnx: ${describe(p)} keeps its data in an external file${p.externalLocation ? ` (${JSON.stringify(p.externalLocation)})` : ''}; external data is not supported, save the model with all tensors inside it`);
  }
  if (p.segmented) throw new LeptonError('BAD_MODEL', `onnx: ${describe(p)} is a segment of a larger tensor; segmented tensors are not supported`);
  const dtype = dtypeFromOnnx(p.dataType, describe(p));
  const n = elementCount(p);
  const data = p.rawData !== undefined && (p.rawData.byteLength > 0 || n === 0) ? fromRaw(p, p.rawData, dtype, n) : fromTyped(p, dtype, n);
  return { name: p.name, dtype, shape: [...p.dims], data };
}

/** A TensorProto as a tensor on the CPU (moved to `device` when given). */
export function tensorFromProto(p: OnnxTensorProto, device?: string): Tensor {
  const h = hostTensorFromProto(p);
  const t = tensorOf(hostStorage(h.dtype, h.data), h.shape);
  // The host copy is left to the garbage collector: the move is queued and reads it later.
  return device === undefined || device === 'cpu' ? t : t.to(device);
}
