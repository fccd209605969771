// Row reduction: input [rows, R] contiguous; each workgroup folds one chunk of one row with a
// workgroup tree reduction and writes out[row * chunks + chunk]. Multi-pass: the host runs it
// again on the [rows, chunks] partials (PRE none, same COMBINE) until one chunk is left.
// Accumulation is float32 (WGSL has no f64): workgroup trees keep sums to ~log2(n) roundings deep.
struct Params {
  offset: u32,
  rows: u32,
  len: u32,
  chunkLen: u32,
  chunks: u32,
  groupPitch: u32,
  count: f32,
}

// One invocation per row instead of one workgroup per chunk: many short rows (single pass).
override PER_THREAD: bool = false;
// Applied to each element first: 0 none, 1 square, 2 abs, 3 exp(v - aux[row]), 4 (v / aux[row])^2
// (l2 scaled by the row's max |v|, so squares cannot overflow).
override PRE: u32 = 0u;
// 0 sum, 1 prod, 2 max, 3 min (NaN propagates).
override COMBINE: u32 = 0u;
// Applied to a finished row (chunks == 1): 0 none, 1 divide by count, 2 sqrt, 3 log(v) + aux[row]
// (a non-finite aux is the answer), 4 log, 5 sqrt(v) * aux[row] (0 when aux <= 0; a non-finite aux is the answer).
override POST: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> aux: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const WG = 256u;
var<workgroup> part: array<f32, WG>;

fn identity() -> f32 {
  switch (COMBINE) {
    case 1u: { return 1.0; }
    case 2u: { return fromBits(0xff800000u); }
    case 3u: { return fromBits(0x7f800000u); }
    default: { return 0.0; }
  }
}

fn combine(a: f32, b: f32) -> f32 {
  switch (COMBINE) {
    case 1u: { return a * b; }
    case 2u: { return select(select(max(a, b), b, isNan(b)), a, isNan(a)); }
    case 3u: { return select(select(min(a, b), b, isNan(b)), a, isNan(a)); }
    default: { return a + b; }
  }
}

// Element i of row `row`, transformed by PRE (the first pass only: partials are already folded).
fn element(row: u32, i: u32) -> f32 {
  return pre(x[p.offset + row * p.len + i], row);
}

fn pre(v: f32, row: u32) -> f32 {
  switch (PRE) {
    case 1u: { return v * v; }
    case 2u: { return abs(v); }
    case 3u: { return exp(v - aux[row]); }
    case 4u: {
      let s = v / aux[row];
      return s * s;
    }
    default: { return v; }
  }
}

fn post(v: f32, row: u32) -> f32 {
  switch (POST) {
    case 1u: { return v / p.count; }
    case 2u: { return sqrt(v); }
    case 3u: {
      let m = aux[row];
      if (isNan(m) || (bitcast<u32>(m) & 0x7fffffffu) == 0x7f800000u) {
        return m;
      }
      return log(v) + m;
    }
    case 4u: { return log(v); }
    case 5u: {
      let m = aux[row];
      // Empty rows have max |v| = -inf: their l2 is 0, like all-zero rows.
      if (m <= 0.0) {
        return 0.0;
      }
      if (isNan(m) || (bitcast<u32>(m) & 0x7fffffffu) == 0x7f800000u) {
        return m;
      }
      return sqrt(v) * m;
    }
    default: { return v; }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  if (PER_THREAD) {
    let row = (wid.x + wid.y * p.groupPitch) * WG + li;
    if (row < p.rows) {
      var a = identity();
      for (var i = 0u; i < p.len; i++) {
        a = combine(a, element(row, i));
      }
      y[row] = post(a, row);
    }
    return;
  }
  let g = wid.x + wid.y * p.groupPitch;
  if (g >= p.rows * p.chunks) {
    return;
  }
  let row = g / p.chunks;
  let chunk = g % p.chunks;
  let start = chunk * p.chunkLen;
  let end = min(start + p.chunkLen, p.len);
  var acc = identity();
  for (var i = start + li; i < end; i += WG) {
    acc = combine(acc, element(row, i));
  }
  part[li] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (li < s) {
      part[li] = combine(part[li], part[li + s]);
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    y[g] = select(part[0], post(part[0], row), p.chunks == 1u);
  }
}
