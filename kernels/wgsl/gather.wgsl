// Copies a strided view into a strided destination (rank <= 8): dst[dstOffset + idx . dstStrides] =
// src[srcOffset + idx . srcStrides] for every index of `shape`. With row-major dstStrides this is a
// gather to a contiguous buffer; transpose, non-contiguous reshape and concat are all this copy.
// The bindings and copyElement come from gather_word.wgsl (4-byte elements; 8-byte ones as two words)
// or gather_sub.wgsl (1- and 2-byte elements inside words).
struct Params {
  shape: array<vec4u, 2>,
  srcStrides: array<vec4<i32>, 2>,
  dstStrides: array<vec4<i32>, 2>,
  rank: u32,
  srcOffset: u32,
  dstOffset: u32,
  count: u32,
  rowPitch: u32,
}

@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * p.rowPitch;
  if (i >= p.count) {
    return;
  }
  var rem = i;
  var at = i32(p.srcOffset);
  var out = i32(p.dstOffset);
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let n = p.shape[d / 4][d % 4];
    let k = i32(rem % n);
    at += k * p.srcStrides[d / 4][d % 4];
    out += k * p.dstStrides[d / 4][d % 4];
    rem = rem / n;
  }
  copyElement(u32(at), u32(out));
}
