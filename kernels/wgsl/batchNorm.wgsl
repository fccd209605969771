// batchNorm (inference): y = (x - mean[c]) / sqrt(variance[c] + epsilon) * scale[c] + bias[c] for a
// contiguous x [N, C, spatial]. Parameters are read through their offset and stride.
struct Params {
  offsets: vec4u,
  strides: vec4u,
  xOffset: u32,
  C: u32,
  spatial: u32,
  count: u32,
  rowPitch: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * p.rowPitch;
  if (i >= p.count) {
    return;
  }
  let c = (i / p.spatial) % p.C;
  let o = p.offsets;
  let s = p.strides;
  let v = (x[p.xOffset + i] - mean[o.z + c * s.z]) / sqrt(variance[o.w + c * s.w] + p.epsilon);
  y[i] = v * scale[o.x + c * s.x] + bias[o.y + c * s.y];
}
