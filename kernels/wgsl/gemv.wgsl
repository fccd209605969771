// Skinny GEMM core for a few rows (M <= 4; GEMV when M = 1): C[batch] = A[batch] * B[batch], reached
// through the op's gemmDims / prepare / loadA4 / loadB4 / storeC4 (matmul.wgsl). Each invocation computes
// ROWS rows x 4 columns, streaming its columns of B once with vec4 reads; no workgroup memory, no barrier.
// A 64x64 tile would spend 63 of its 64 rows on zeros here.
override ROWS: u32 = 1u;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let dims = gemmDims();
  let batch = wid.z;
  prepare(batch);
  let col = (wid.x * 64u + li) * 4u;
  let row = wid.y * ROWS;
  var acc0: vec4f;
  var acc1: vec4f;
  var acc2: vec4f;
  var acc3: vec4f;
  for (var k = 0u; k < dims.z; k += 4u) {
    let b0 = loadB4(batch, k, col);
    let b1 = loadB4(batch, k + 1u, col);
    let b2 = loadB4(batch, k + 2u, col);
    let b3 = loadB4(batch, k + 3u, col);
    let a0 = loadA4(batch, row, k);
    acc0 = fma(vec4f(a0.x), b0, fma(vec4f(a0.y), b1, fma(vec4f(a0.z), b2, fma(vec4f(a0.w), b3, acc0))));
    if (ROWS > 1u) {
      let a1 = loadA4(batch, row + 1u, k);
      acc1 = fma(vec4f(a1.x), b0, fma(vec4f(a1.y), b1, fma(vec4f(a1.z), b2, fma(vec4f(a1.w), b3, acc1))));
    }
    if (ROWS > 2u) {
      let a2 = loadA4(batch, row + 2u, k);
      let a3 = loadA4(batch, row + 3u, k);
      acc2 = fma(vec4f(a2.x), b0, fma(vec4f(a2.y), b1, fma(vec4f(a2.z), b2, fma(vec4f(a2.w), b3, acc2))));
      acc3 = fma(vec4f(a3.x), b0, fma(vec4f(a3.y), b1, fma(vec4f(a3.z), b2, fma(vec4f(a3.w), b3, acc3))));
    }
  }
  if (col >= dims.y) {
    return;
  }
  storeC4(batch, row, col, acc0, dims);
  if (ROWS > 1u && row + 1u < dims.x) {
    storeC4(batch, row + 1u, col, acc1, dims);
  }
  if (ROWS > 2u && row + 2u < dims.x) {
    storeC4(batch, row + 2u, col, acc2, dims);
  }
  if (ROWS > 2u && row + 3u < dims.x) {
    storeC4(batch, row + 3u, col, acc3, dims);
  }
}
