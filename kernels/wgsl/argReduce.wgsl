// argmax / argmin over the last axis of a contiguous [rows, len] input; int64 indices written as
// (low, high) u32 words. One workgroup per row; ties and NaN follow src/ops/argReduce.ts: the
// first extreme wins (the last with SELECT_LAST), and NaN counts as the extreme.
struct Params {
  offset: u32,
  rows: u32,
  len: u32,
  groupPitch: u32,
}

override IS_MAX: bool = true;
override SELECT_LAST: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

const WG = 256u;
var<workgroup> bestValue: array<f32, WG>;
var<workgroup> bestIndex: array<u32, WG>;

// Does candidate (v, i) beat (w, j)? An index of 0xffffffff is "nothing yet".
fn beats(v: f32, i: u32, w: f32, j: u32) -> bool {
  if (j == 0xffffffffu) {
    return true;
  }
  if (i == 0xffffffffu) {
    return false;
  }
  let later = i > j;
  let vn = isNan(v);
  let wn = isNan(w);
  if (vn || wn) {
    if (vn && wn) {
      return later == SELECT_LAST;
    }
    return vn;
  }
  if (v == w) {
    return later == SELECT_LAST;
  }
  return select((v < w), (v > w), IS_MAX);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.x + wid.y * p.groupPitch;
  if (row >= p.rows) {
    return;
  }
  var bv = 0.0;
  var bi = 0xffffffffu;
  for (var i = li; i < p.len; i += WG) {
    let v = x[p.offset + row * p.len + i];
    if (beats(v, i, bv, bi)) {
      bv = v;
      bi = i;
    }
  }
  bestValue[li] = bv;
  bestIndex[li] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (li < s && beats(bestValue[li + s], bestIndex[li + s], bestValue[li], bestIndex[li])) {
      bestValue[li] = bestValue[li + s];
      bestIndex[li] = bestIndex[li + s];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    y[2u * row] = bestIndex[0];
    y[2u * row + 1u] = 0u;
  }
}
