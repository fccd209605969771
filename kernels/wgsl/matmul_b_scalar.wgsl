// matmul's B operand as scalars (any strides).
const B_VEC4 = false;

@group(0) @binding(1) var<storage, read> b: array<{{T}}>;

fn bAt(i: u32) -> f32 {
  return f32(b[i]);
}

fn bVec4(i: u32) -> vec4f {
  return vec4f(f32(b[i]), f32(b[i + 1u]), f32(b[i + 2u]), f32(b[i + 3u]));
}
