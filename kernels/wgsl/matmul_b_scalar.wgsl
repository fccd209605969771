// matmul's B operand as scalars (any strides).
const B_VEC4 = false;

@group(0) @binding(1) var<storage, read> b: array<f32>;

fn bAt(i: u32) -> f32 {
  return b[i];
}

fn bVec4(i: u32) -> vec4f {
  return vec4f(b[i], b[i + 1u], b[i + 2u], b[i + 3u]);
}
