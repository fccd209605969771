/** TensorProto -> tensor for every element type, from raw_data and from the typed fields. */
import '../../src/index.js';
import { float32ToHalfBits } from '../../src/dtype.js';
import { LeptonError } from '../../src/errors.js';
import { decodeTensorProto } from '../../src/onnx/proto.js';
import { hostTensorFromProto, tensorFromProto } from '../../src/onnx/tensor.js';
import { D, encodeTensor } from './build.js';

const decode = (fields: Record<string, unknown>) => hostTensorFromProto(decodeTensorProto(encodeTensor(fields)));
const values = (fields: Record<string, unknown>) => Array.from(decode(fields).data as ArrayLike<number | bigint>);
const le = (arr: ArrayBufferView) => new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);

describe('typed fields', () => {
  test.each([
    ['float32', D.FLOAT, { floatData: [1.5, -2, 3.25] }, [1.5, -2, 3.25]],
    ['float64', D.DOUBLE, { doubleData: [0.1, -1e300, 2] }, [0.1, -1e300, 2]],
    ['int32', D.INT32, { int32Data: [-2147483648, 0, 7] }, [-2147483648, 0, 7]],
    ['int16', D.INT16, { int32Data: [-32768, 1, 32767] }, [-32768, 1, 32767]],
    ['int8', D.INT8, { int32Data: [-128, 5, 127] }, [-128, 5, 127]],
    ['uint16', D.UINT16, { int32Data: [0, 1, 65535] }, [0, 1, 65535]],
    ['uint8', D.UINT8, { int32Data: [0, 200, 255] }, [0, 200, 255]],
    ['bool', D.BOOL, { int32Data: [0, 1, 1] }, [0, 1, 1]],
    ['float16', D.FLOAT16, { int32Data: [float32ToHalfBits(1), float32ToHalfBits(-0.5), 0x7c00] }, [0x3c00, 0xb800, 0x7c00]],
    ['int64', D.INT64, { int64Data: ['-9223372036854775808', '9007199254740993', '-1'] }, [-9223372036854775808n, 9007199254740993n, -1n]],
    ['uint32', D.UINT32, { uint64Data: [0, 4294967295, 3] }, [0, 4294967295, 3]],
    ['uint64', D.UINT64, { uint64Data: ['18446744073709551615', '9007199254740993', 0] }, [18446744073709551615n, 9007199254740993n, 0n]],
  ])('%s', (dtype, dataType, data, expected) => {
    const t = decode({ dims: [3], dataType, ...data });
    expect(t.dtype).toBe(dtype);
    expect(t.shape).toEqual([3]);
    expect(Array.from(t.data as ArrayLike<unknown>)).toEqual(expected);
  });
});

describe('raw_data (little-endian)', () => {
  test.each([
    ['float32', D.FLOAT, new Float32Array([1.5, -2, 3.25])],
    ['float64', D.DOUBLE, new Float64Array([0.1, -1e300, 2])],
    ['float16', D.FLOAT16, new Uint16Array([0x3c00, 0xb800, 0x7c00])],
    ['int8', D.INT8, new Int8Array([-128, 5, 127])],
    ['int16', D.INT16, new Int16Array([-32768, 1, 32767])],
    ['int32', D.INT32, new Int32Array([-2147483648, 0, 7])],
    ['int64', D.INT64, new BigInt64Array([-9223372036854775808n, 9007199254740993n, -1n])],
    ['uint8', D.UINT8, new Uint8Array([0, 200, 255])],
    ['uint16', D.UINT16, new Uint16Array([0, 1, 65535])],
    ['uint32', D.UINT32, new Uint32Array([0, 4294967295, 3])],
    ['uint64', D.UINT64, new BigUint64Array([18446744073709551615n, 9007199254740993n, 0n])],
    ['bool', D.BOOL, new Uint8Array([0, 1, 1])],
  ])('%s', (dtype, dataType, arr) => {
    const t = decode({ dims: [3], dataType, rawData: le(arr) });
    expect(t.dtype).toBe(dtype);
    expect(Array.from(t.data as ArrayLike<unknown>)).toEqual(Array.from(arr as ArrayLike<unknown>));
  });

  test('unaligned raw_data, scalars and empty tensors', () => {
    // a 1-byte name before raw_data shifts it off 4-byte alignment inside the message
    expect(values({ name: 'x', dims: [], dataType: D.FLOAT, rawData: le(new Float32Array([7])) })).toEqual([7]);
    const empty = decode({ dims: [0, 3], dataType: D.FLOAT, rawData: new Uint8Array(0) });
    expect(empty.shape).toEqual([0, 3]);
    expect(empty.data.length).toBe(0);
    expect(decode({ dims: [2, 0], dataType: D.INT64 }).data.length).toBe(0);
  });

  test('as a tensor', async () => {
    const t = tensorFromProto(decodeTensorProto(encodeTensor({ dims: [2, 2], dataType: D.FLOAT16, int32Data: [0x3c00, 0x4000, 0x4200, 0x4400] })));
    expect(t.dtype).toBe('float16');
    expect(t.shape).toEqual([2, 2]);
    expect(Array.from(await t.data<Uint16Array>())).toEqual([0x3c00, 0x4000, 0x4200, 0x4400]);
  });
});

describe('malformed or unsupported tensors', () => {
  const code = (fields: Record<string, unknown>) => {
    try {
      decode(fields);
    } catch (e) {
      expect(e).toBeInstanceOf(LeptonError);
      return [(e as LeptonError).code, (e as Error).message];
    }
    return ['none', ''];
  };
  test('external data is refused with BAD_MODEL', () => {
    const [c, m] = code({ name: 'w', dims: [2], dataType: D.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }] });
    expect(c).toBe('BAD_MODEL');
    expect(m).toMatch(/external.*weights\.bin/);
  });
  test('element counts and byte lengths must match dims', () => {
    expect(code({ dims: [4], dataType: D.FLOAT, floatData: [1, 2, 3] })[0]).toBe('BAD_MODEL');
    expect(code({ dims: [2], dataType: D.FLOAT, rawData: new Uint8Array(7) })[0]).toBe('BAD_MODEL');
    expect(code({ dims: [3], dataType: D.INT64 })[0]).toBe('BAD_MODEL');
    expect(code({ dims: [-1], dataType: D.FLOAT })[0]).toBe('BAD_MODEL');
    expect(code({ dims: ['9223372036854775807', 2], dataType: D.FLOAT, rawData: new Uint8Array(8) })[0]).toBe('BAD_MODEL');
  });
  test('types lepton-compute does not hold are DTYPE_UNSUPPORTED; unknown type numbers BAD_MODEL', () => {
    expect(code({ dims: [1], dataType: D.STRING, stringData: [new Uint8Array([65])] })[0]).toBe('DTYPE_UNSUPPORTED');
    expect(code({ dims: [1], dataType: D.BFLOAT16, rawData: new Uint8Array(2) })[0]).toBe('DTYPE_UNSUPPORTED');
    expect(code({ dims: [1], dataType: 99, rawData: new Uint8Array(2) })[0]).toBe('BAD_MODEL');
    expect(code({ dims: [1], dataType: 0, rawData: new Uint8Array(2) })[0]).toBe('BAD_MODEL');
  });
});
