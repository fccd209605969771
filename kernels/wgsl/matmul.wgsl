// matmul and gemm on the shared tile core (gemm_tile.wgsl) or, for a few rows, the skinny core
// (gemv.wgsl): operands read through strides, so transposed views, 1-D promoted operands and broadcast
// batches need no copy. B's binding comes from matmul_b_scalar.wgsl or, when its rows are vec4-aligned,
// matmul_b_vec4.wgsl.
// Epilogue: alpha, beta * C (C broadcast through its strides), activation.
// Buffers hold {{T}} (f32, or f16 with f32 arithmetic: loads convert, the store rounds once).
struct Params {
  batchShape: vec4u,
  aBatchStrides: vec4u,
  bBatchStrides: vec4u,
  M: u32, N: u32, K: u32, aOffset: u32,
  aRowStride: u32, aColStride: u32, bOffset: u32, bRowStride: u32,
  bColStride: u32, cOffset: u32, cRowStride: u32, cColStride: u32,
  alpha: f32, beta: f32,
}

override HAS_C: bool = false;
// 0: none, 1: relu.
override ACT: u32 = 0u;

@group(0) @binding(0) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> c: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> y: array<{{T}}>;
@group(0) @binding(4) var<uniform> p: Params;

fn gemmDims() -> vec3u {
  return vec3u(p.M, p.N, p.K);
}

// Element offset of a batch (batch dims padded in front with size 1).
fn batchOffset(batch: u32, strides: vec4u) -> u32 {
  var rem = batch;
  var off = 0u;
  for (var d = 3; d >= 0; d--) {
    off += (rem % p.batchShape[d]) * strides[d];
    rem /= p.batchShape[d];
  }
  return off;
}

// The batch's base offsets, computed once per workgroup.
var<private> aBase: u32;
var<private> bBase: u32;

fn prepare(batch: u32) {
  aBase = p.aOffset + batchOffset(batch, p.aBatchStrides);
  bBase = p.bOffset + batchOffset(batch, p.bBatchStrides);
}

fn loadA(batch: u32, row: u32, k: u32) -> f32 {
  if (row >= p.M || k >= p.K) {
    return 0.0;
  }
  return f32(a[aBase + row * p.aRowStride + k * p.aColStride]);
}

// A[row, k..k+3] (zeros past the edges).
fn loadA4(batch: u32, row: u32, k: u32) -> vec4f {
  return vec4f(loadA(batch, row, k), loadA(batch, row, k + 1u), loadA(batch, row, k + 2u), loadA(batch, row, k + 3u));
}

fn prepareCols(batch: u32, col: u32) {
}

fn loadB(batch: u32, k: u32, col: u32) -> f32 {
  if (k >= p.K || col >= p.N) {
    return 0.0;
  }
  return bAt(bBase + k * p.bRowStride + col * p.bColStride);
}

fn loadB4(batch: u32, k: u32, col: u32) -> vec4f {
  if (B_VEC4) {
    // Columns are contiguous, N and every row start are multiples of 4: one aligned vec4 load.
    if (k >= p.K || col >= p.N) {
      return vec4f();
    }
    return bVec4(bBase + k * p.bRowStride + col);
  }
  return vec4f(loadB(batch, k, col), loadB(batch, k, col + 1u), loadB(batch, k, col + 2u), loadB(batch, k, col + 3u));
}

fn storeC(batch: u32, row: u32, col: u32, value: f32) {
  var v = p.alpha * value;
  if (HAS_C) {
    v += p.beta * f32(c[p.cOffset + row * p.cRowStride + col * p.cColStride]);
  }
  if (ACT == 1u) {
    v = select(v, 0.0, v < 0.0);
  }
  y[(batch * p.M + row) * p.N + col] = {{T}}(v);
}

// C[row, col..col+3], the columns past N skipped.
fn storeC4(batch: u32, row: u32, col: u32, value: vec4f, dims: vec3u) {
  for (var j = 0u; j < 4u; j++) {
    if (col + j < dims.y) {
      storeC(batch, row, col + j, value[j]);
    }
  }
}
