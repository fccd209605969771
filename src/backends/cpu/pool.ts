import { allocate, bytesPerElement, type DType, type TypedArray } from '../../dtype.js';
import { hostStorage, type Storage } from '../../storage.js';

/**
 * Recycles large kernel output buffers. A fresh typed array costs a zero-fill plus a page fault
 * per 4 KiB on the kernel's first write (about 10% of a 1024^3 GEMM here); the buffer of a
 * storage whose last tensor was disposed goes to the next output of the same dtype and length.
 * Every CPU kernel writes all of its output, so old contents are never seen. Bounded in bytes.
 */
const MIN_BYTES = 256 * 1024; // smaller arrays are cheap to allocate
const MAX_POOLED_BYTES = 256 * 1024 * 1024;
const free = new Map<string, TypedArray[]>();
let pooledBytes = 0;

export function pooledStorage(dtype: DType, length: number): Storage {
  if (length * bytesPerElement(dtype) < MIN_BYTES) return hostStorage(dtype, allocate(dtype, length));
  const key = `${dtype}:${length}`;
  let data = free.get(key)?.pop();
  if (data) pooledBytes -= data.byteLength;
  else data = allocate(dtype, length);
  const buffer = data;
  let released = false;
  return {
    device: 'cpu', dtype, length, data: buffer, ready: Promise.resolve(),
    release() {
      if (released || pooledBytes + buffer.byteLength > MAX_POOLED_BYTES) return;
      released = true;
      pooledBytes += buffer.byteLength;
      const list = free.get(key);
      if (list) list.push(buffer);
      else free.set(key, [buffer]);
    },
  };
}
