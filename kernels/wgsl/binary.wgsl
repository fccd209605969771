// Binary elementwise ops with numpy broadcasting: inputs read through strides (0 on broadcast
// axes, rank <= 8), output row-major. OP is the BinaryOp code of src/ops/binary.ts.
struct Params {
  shape: array<vec4u, 2>,
  aStrides: array<vec4u, 2>,
  bStrides: array<vec4u, 2>,
  rank: u32,
  aOffset: u32,
  bOffset: u32,
  count: u32,
  rowPitch: u32,
}

// 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 minimum, 6 pow.
override OP: u32 = 0u;
// Both inputs row-major with the output's shape and offset 0: no index arithmetic.
override CONTIGUOUS: bool = false;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// By bits: compilers may assume no NaN in float comparisons.
fn isInf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

// C's pow: x^0 = 1 and 1^y = 1 even for NaN; (-1)^±inf = 1; a negative base needs an integer exponent.
fn cpow(x: f32, e: f32) -> f32 {
  if (x == 1.0 || e == 0.0) {
    return 1.0;
  }
  if (isNan(x) || isNan(e)) {
    return fromBits(0x7fc00000u);
  }
  if (x == -1.0 && isInf(e)) {
    return 1.0;
  }
  let m = pow(abs(x), e);
  if (x < 0.0) {
    if (isInf(e)) {
      return m;
    }
    if (floor(e) != e) {
      return fromBits(0x7fc00000u);
    }
    // Odd integer exponent keeps the sign (exponents beyond 2^24 are all even in f32).
    let odd = abs(e) < 16777216.0 && (i32(abs(e)) & 1) == 1;
    return select(m, -m, odd);
  }
  return m;
}

fn apply(x: f32, v: f32) -> f32 {
  switch (OP) {
    case 0u: { return x + v; }
    case 1u: { return x - v; }
    case 2u: { return x * v; }
    case 3u: { return x / v; }
    case 4u: { return select(select(max(x, v), v, isNan(v)), x, isNan(x)); }
    case 5u: { return select(select(min(x, v), v, isNan(v)), x, isNan(x)); }
    default: { return cpow(x, v); }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * p.rowPitch;
  if (i >= p.count) {
    return;
  }
  if (CONTIGUOUS) {
    y[i] = apply(a[i], b[i]);
    return;
  }
  var rem = i;
  var ia = p.aOffset;
  var ib = p.bOffset;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let n = p.shape[d / 4][d % 4];
    let k = rem % n;
    ia += k * p.aStrides[d / 4][d % 4];
    ib += k * p.bStrides[d / 4][d % 4];
    rem = rem / n;
  }
  y[i] = apply(a[ia], b[ib]);
}
