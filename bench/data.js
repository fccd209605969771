// Deterministic bench inputs shared by the bench scripts.

/** n (or the product of a shape's dims) pseudo-random float32 values in [-1, 1), from a seed (xorshift32). */
export function randomData(shapeOrLength, seed) {
  const n = Array.isArray(shapeOrLength) ? shapeOrLength.reduce((a, b) => a * b, 1) : shapeOrLength;
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}
