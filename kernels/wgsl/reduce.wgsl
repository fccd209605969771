// Row reduction: input [rows, R] contiguous; each workgroup folds one chunk of one row and writes
// out[row * chunks + chunk]. Multi-pass: the host runs it again on the [rows, chunks] partials (PRE
// none, same COMBINE) until one chunk is left. The entry point comes from reduce_tree.wgsl (a
// workgroup tree) or reduce_subgroup.wgsl (subgroup operations, when the device has them).
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

// Four interleaved accumulators in each invocation's strided loop, joined pairwise (the subgroup
// programs: a subgroup operation may fold its lanes in sequence, and cutting the loop's chain of
// roundings from 16 to 4 keeps their sums at least as accurate as the tree's). Compensated sums would
// not survive: WGSL lets compilers simplify (a + b) - a to b, and lavapipe does.
override INTERLEAVED: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> aux: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const WG = 256u;

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

// Rows shorter than SHORT_ROW, when there are many: invocation li of workgroup g folds row g * WG + li.
fn foldRowPerThread(g: u32, li: u32) {
  let row = g * WG + li;
  if (row < p.rows) {
    var a = identity();
    for (var i = 0u; i < p.len; i++) {
      a = combine(a, element(row, i));
    }
    y[row] = post(a, row);
  }
}

// Invocation li's fold of chunk g (of row g / chunks): elements start + li, start + li + WG, ...
fn chunkPartial(g: u32, li: u32) -> f32 {
  let row = g / p.chunks;
  let start = (g % p.chunks) * p.chunkLen;
  let end = min(start + p.chunkLen, p.len);
  var acc = identity();
  var i = start + li;
  if (INTERLEAVED) {
    var b = identity();
    var c = identity();
    var d = identity();
    for (; i + 3u * WG < end; i += 4u * WG) {
      acc = combine(acc, element(row, i));
      b = combine(b, element(row, i + WG));
      c = combine(c, element(row, i + 2u * WG));
      d = combine(d, element(row, i + 3u * WG));
    }
    acc = combine(combine(acc, b), combine(c, d));
  }
  for (; i < end; i += WG) {
    acc = combine(acc, element(row, i));
  }
  return acc;
}

// Writes the fold of chunk g: finished (POST) when the row has one chunk, else a partial for the next pass.
fn storeChunk(g: u32, v: f32) {
  y[g] = select(v, post(v, g / p.chunks), p.chunks == 1u);
}
