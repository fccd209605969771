// gather.wgsl's element copy for BYTES-byte elements (1 or 2) packed little-endian in 32-bit words.
// Neighbours in a destination word may belong to other invocations (or to data this copy must keep,
// as in concat): each invocation clears and sets only its own bits, with atomics, so the order of
// the invocations does not matter.
override BYTES: u32 = 2u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<atomic<u32>>;

fn copyElement(at: u32, out: u32) {
  let per = 4u / BYTES;
  let bits = 8u * BYTES;
  let mask = (1u << bits) - 1u;
  let v = (src[at / per] >> ((at % per) * bits)) & mask;
  let shift = (out % per) * bits;
  atomicAnd(&dst[out / per], ~(mask << shift));
  atomicOr(&dst[out / per], v << shift);
}
