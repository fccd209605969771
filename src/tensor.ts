import { allocate, arrayCtor, checkDType, dtypeOfArray, elementWriter, isBigIntDType, type DType, type TypedArray } from './dtype.js';
import { fail, LeptonError, show } from './errors.js';
import { contiguousStrides, isContiguous, sizeOf, type Shape } from './shape.js';
import { hostStorage, type Storage } from './storage.js';

// Node 20 has no Symbol.dispose yet; `using` and [Symbol.dispose] need it (the TC39 polyfill key).
if (!(Symbol as { dispose?: symbol }).dispose) Object.defineProperty(Symbol, 'dispose', { value: Symbol.for('Symbol.dispose') });

/** What an op needs to know about an input before any data exists. */
export interface TensorMeta {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** A strided window onto host memory: what reference kernels read. */
export interface StridedView extends TensorMeta {
  readonly data: TypedArray;
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * An n-dimensional array on one device. Tensors returned by ops exist at once;
 * the work that fills them is queued, and `data()` waits for it.
 * Views (transpose, reshape) share storage with their base: no copy is made.
 */
export class Tensor implements TensorMeta {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Element strides into the storage; row-major unless this is a view. */
  readonly strides: readonly number[];
  /** Element offset of [0,...,0] into the storage. */
  readonly offset: number;
  private storageRef: Storage | undefined;

  /** @internal Tensors are made by lc.tensor() and ops. */
  constructor(storage: Storage, shape: Shape, strides?: Shape, offset = 0) {
    this.storageRef = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = storage.dtype;
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
  }

  get device(): string {
    return this.storage('device').device;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.storageRef === undefined;
  }

  /** True when elements are laid out row-major from `offset` with no gaps. */
  get contiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** @internal The storage; throws DISPOSED when the tensor was disposed. */
  storage(op: string, argument = 'tensor'): Storage {
    if (!this.storageRef) {
      throw new LeptonError('DISPOSED', `${op}: ${argument} was disposed (shape ${show(this.shape)}, ${this.dtype})`);
    }
    return this.storageRef;
  }

  /** Waits until the work that writes this tensor has finished (rejects with its LeptonError), without copying. */
  async ready(): Promise<void> {
    const storage = this.storage('ready');
    try {
      await storage.ready;
    } catch {
      // the failure is recorded on the storage
    }
    if (storage.error) throw storage.error;
  }

  /**
   * Waits for pending work and copies the elements to a new row-major host array.
   * The array type follows the dtype (Float32Array for float32, BigInt64Array for int64, ...);
   * the type parameter only narrows the static type.
   */
  async data<T extends TypedArray = Float32Array>(): Promise<T> {
    await this.ready();
    const storage = this.storage('data');
    if (storage.device !== 'cpu') {
      const { deviceFor } = await import('./runtime/devices.js');
      return (await deviceFor(storage.device).read(this)) as T;
    }
    return gatherHost(this.view()) as T;
  }

  /** The data as a (nested) plain JS array, for display and tests. */
  async array(): Promise<unknown> {
    const flat = Array.from((await this.data()) as ArrayLike<number | bigint>);
    const nest = (dim: number, start: number): unknown => {
      if (dim === this.shape.length) return flat[start];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => nest(dim + 1, start + i * stride));
    };
    return nest(0, 0);
  }

  /** @internal A host view of this tensor (CPU storage only). */
  view(): StridedView {
    const storage = this.storage('view');
    if (!storage.data) throw new LeptonError('DEVICE_ERROR', `view: tensor lives on ${storage.device}, not on the host`);
    return { data: storage.data, shape: this.shape, dtype: this.dtype, strides: this.strides, offset: this.offset };
  }

  /** Moves (copies) the tensor to another device; same device returns a tensor sharing storage. */
  to(device: string): Tensor {
    const storage = this.storage('to');
    return moveTensor(this, storage, device);
  }

  /** Frees this tensor's hold on its memory; using it afterwards throws DISPOSED. Idempotent. */
  dispose(): void {
    const storage = this.storageRef;
    this.storageRef = undefined;
    if (storage) releaseRef(storage);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Tensor(${show(this.shape)}, ${this.dtype}, ${this.storageRef ? this.storageRef.device : 'disposed'})`;
  }
}

// Device memory is freed when the last tensor that uses it is disposed.
const refCounts = new WeakMap<Storage, number>();

/** @internal Wraps storage in a tensor and counts the reference. */
export function tensorOf(storage: Storage, shape: Shape, strides?: Shape, offset = 0): Tensor {
  refCounts.set(storage, (refCounts.get(storage) ?? 0) + 1);
  return new Tensor(storage, shape, strides, offset);
}

function releaseRef(storage: Storage): void {
  const n = (refCounts.get(storage) ?? 1) - 1;
  refCounts.set(storage, n);
  if (n <= 0) storage.ready.then(() => storage.release(), () => storage.release());
}

let mover: ((t: Tensor, s: Storage, device: string) => Tensor) | undefined;

/** @internal The runtime installs the function that moves tensors between devices. */
export function setTensorMover(fn: (t: Tensor, s: Storage, device: string) => Tensor): void {
  mover = fn;
}

function moveTensor(t: Tensor, storage: Storage, device: string): Tensor {
  if (!mover) throw new LeptonError('DEVICE_UNAVAILABLE', `to: no runtime is loaded to move tensors to ${show(device)}`);
  return mover(t, storage, device);
}

/** Copies a strided host view into a new row-major array. */
export function gatherHost(v: StridedView): TypedArray {
  const n = sizeOf(v.shape);
  const Ctor = arrayCtor(v.dtype);
  if (isContiguous(v.shape, v.strides)) return v.data.slice(v.offset, v.offset + n) as TypedArray;
  const out = new Ctor(n);
  const rank = v.shape.length;
  const index = new Array<number>(rank).fill(0);
  let src = v.offset;
  for (let i = 0; i < n; i++) {
    (out as unknown as Array<number | bigint>)[i] = (v.data as unknown as Array<number | bigint>)[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      src += v.strides[d]!;
      if (index[d]! < v.shape[d]!) break;
      src -= v.strides[d]! * v.shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

export type TensorData = TypedArray | ArrayLike<number | bigint | boolean> | number | bigint | boolean | NestedArray;
interface NestedArray extends ReadonlyArray<number | bigint | boolean | NestedArray> {}

export interface TensorOptions {
  dtype?: DType;
  device?: string;
}

function inferNestedShape(data: unknown): number[] {
  const shape: number[] = [];
  let level: unknown = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

/** Creates a tensor from a typed array, a flat or nested JS array, or a scalar. The data is copied. */
export function tensor(data: TensorData, shape?: readonly number[], options: TensorOptions = {}): Tensor {
  const op = 'tensor';
  if (shape !== undefined && !Array.isArray(shape)) fail('BAD_ARGUMENT', op, 'shape', 'an array of non-negative integers', shape);
  let flat: ArrayLike<number | bigint | boolean>;
  let inferred: number[];
  if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView) fail('BAD_ARGUMENT', op, 'data', 'a typed array or array', data);
    flat = data as unknown as ArrayLike<number>;
    inferred = [flat.length];
  } else if (Array.isArray(data)) {
    inferred = inferNestedShape(data);
    flat = (data as unknown[]).flat(Infinity) as Array<number | bigint | boolean>;
    if (sizeOf(inferred) !== flat.length) fail('SHAPE_MISMATCH', op, 'data', 'a rectangular nested array', data);
  } else if (typeof data === 'number' || typeof data === 'bigint' || typeof data === 'boolean') {
    flat = [data];
    inferred = [];
  } else {
    fail('BAD_ARGUMENT', op, 'data', 'a typed array, an array or a number', data);
  }
  const dims = shape ?? inferred;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) fail('BAD_ARGUMENT', op, 'shape', 'an array of non-negative integers', shape);
  }
  if (sizeOf(dims) !== flat.length) {
    fail('SHAPE_MISMATCH', op, 'data length', `${sizeOf(dims)} (the product of shape ${show(dims)})`, flat.length);
  }
  const dtype = options.dtype === undefined
    ? (ArrayBuffer.isView(data) ? dtypeOfArray(data) ?? 'float32' : typeof flat[0] === 'bigint' ? 'int64' : typeof flat[0] === 'boolean' ? 'bool' : 'float32')
    : checkDType(op, 'options.dtype', options.dtype);
  const host = toTypedArray(flat, dtype);
  const t = tensorOf(hostStorage(dtype, host), dims);
  return options.device && options.device !== 'cpu' ? t.to(options.device) : t;
}

function toTypedArray(flat: ArrayLike<number | bigint | boolean>, dtype: DType): TypedArray {
  const out = allocate(dtype, flat.length);
  if (dtypeOfArray(flat as unknown as ArrayBufferView) === dtype && dtype !== 'bool') {
    out.set(flat as never);
    return out;
  }
  const write = elementWriter(dtype);
  const big = isBigIntDType(dtype);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i]!;
    if (big && typeof v === 'bigint') (out as BigInt64Array)[i] = v;
    else (out as unknown as Array<number | bigint>)[i] = write(typeof v === 'boolean' ? Number(v) : Number(v));
  }
  return out;
}

/** @internal A new row-major tensor whose storage a kernel will fill. */
export function hostTensor(dtype: DType, shape: Shape, ready?: Promise<void>): Tensor {
  return tensorOf(hostStorage(dtype, allocate(dtype, sizeOf(shape)), ready), shape);
}
