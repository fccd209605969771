// argmax / argmin over the last axis of a contiguous [rows, len] input; int64 indices written as
// (low, high) u32 words. One workgroup per row; ties and NaN follow src/ops/argReduce.ts: the
// first extreme wins (the last with SELECT_LAST), and NaN counts as the extreme. The entry point
// comes from argReduce_tree.wgsl (a workgroup tree) or argReduce_subgroup.wgsl (subgroup operations).
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
// An index of "nothing yet".
const NONE = 0xffffffffu;

struct Best {
  v: f32,
  i: u32,
}

// Does candidate (v, i) beat (w, j)?
fn beats(v: f32, i: u32, w: f32, j: u32) -> bool {
  if (j == NONE) {
    return true;
  }
  if (i == NONE) {
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

// Invocation li's best of its row's elements li, li + WG, ...
fn rowBest(row: u32, li: u32) -> Best {
  var b = Best(0.0, NONE);
  for (var i = li; i < p.len; i += WG) {
    let v = x[p.offset + row * p.len + i];
    if (beats(v, i, b.v, b.i)) {
      b = Best(v, i);
    }
  }
  return b;
}

fn storeIndex(row: u32, i: u32) {
  y[2u * row] = i;
  y[2u * row + 1u] = 0u;
}
