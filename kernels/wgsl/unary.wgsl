// Unary elementwise ops and clip: input read through strides (rank <= 8), output row-major.
// OP is the UnaryOp code of src/ops/unary.ts (gelu 3 exact, 4 tanh approximation); 12 is clip.
// erf32 comes from activation.wgsl.
struct Params {
  shape: array<vec4u, 2>,
  strides: array<vec4u, 2>,
  rank: u32,
  offset: u32,
  count: u32,
  rowPitch: u32,
  lo: f32,
  hi: f32,
}

override OP: u32 = 0u;
override CONTIGUOUS: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

fn tanh32(v: f32) -> f32 {
  if (isNan(v)) {
    return v;
  }
  return tanh(clamp(v, -20.0, 20.0));
}

fn apply(v: f32) -> f32 {
  switch (OP) {
    case 0u: { return select(v, 0.0, v < 0.0); }
    case 1u: { return 1.0 / (1.0 + exp(-v)); }
    case 2u: { return tanh32(v); }
    case 3u: { return 0.5 * v * (1.0 + erf32(v * 0.70710678118)); }
    case 4u: { return 0.5 * v * (1.0 + tanh32(0.7978845608 * (v + 0.044715 * v * v * v))); }
    case 5u: { return exp(v); }
    case 6u: { return log(v); }
    case 7u: { return abs(v); }
    case 8u: { return -v; }
    case 9u: { return sqrt(v); }
    case 10u: { return erf32(v); }
    case 11u: { return 1.0 / v; }
    default: {
      // clip: NaN stays NaN; with lo > hi everything becomes hi.
      if (isNan(v)) {
        return v;
      }
      return select(select(v, p.lo, v < p.lo), p.hi, select(v, p.lo, v < p.lo) > p.hi);
    }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * p.rowPitch;
  if (i >= p.count) {
    return;
  }
  if (CONTIGUOUS) {
    y[i] = apply(x[i]);
    return;
  }
  var rem = i;
  var at = p.offset;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let n = p.shape[d / 4][d % 4];
    at += (rem % n) * p.strides[d / 4][d % 4];
    rem = rem / n;
  }
  y[i] = apply(x[at]);
}
