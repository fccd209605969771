// matmul's B operand as vec4 (contiguous columns, offsets multiples of 4): aligned vector loads.
const B_VEC4 = true;

@group(0) @binding(1) var<storage, read> b: array<vec4<{{T}}>>;

fn bAt(i: u32) -> f32 {
  return f32(b[i / 4u][i % 4u]);
}

// i must be a multiple of 4.
fn bVec4(i: u32) -> vec4f {
  return vec4f(b[i / 4u]);
}
