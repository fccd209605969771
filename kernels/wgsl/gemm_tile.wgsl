// Shared GEMM tile core: C[batch] (MxN) = A[batch] (MxK) * B[batch] (KxN), reached only through
// gemmDims / prepare / loadA / loadB4 / storeC, which the op file defines (matmul.wgsl, conv2d.wgsl).
// A workgroup of 16x16 invocations computes a 64x64 tile; each invocation a 4x4 block.
// Loads and stores are bounds-checked by the op's functions, so any M, N, K works.
const BM = 64u;
const BN = 64u;
const BK = 16u;

// tileA[k * 16 + r] holds rows 4r..4r+3 of the A tile at k; tileB[k * 16 + c] columns 4c..4c+3 of B at k.
var<workgroup> tileA: array<vec4f, 256>;
var<workgroup> tileB: array<vec4f, 256>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let dims = gemmDims();
  let batch = wid.z;
  prepare(batch);
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  var acc: array<vec4f, 4>;
  // Who loads what: A as 4 rows at one k, B as 4 adjacent columns at one k.
  let aK = li % BK;
  let aR = li / BK;
  let bK = li / 16u;
  let bC = li % 16u;
  for (var k0 = 0u; k0 < dims.z; k0 += BK) {
    let ar = row0 + aR * 4u;
    tileA[aK * 16u + aR] = vec4f(loadA(batch, ar, k0 + aK), loadA(batch, ar + 1u, k0 + aK),
                                 loadA(batch, ar + 2u, k0 + aK), loadA(batch, ar + 3u, k0 + aK));
    tileB[bK * 16u + bC] = loadB4(batch, k0 + bK, col0 + bC * 4u);
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      let a = tileA[k * 16u + lid.y];
      let b = tileB[k * 16u + lid.x];
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    if (row >= dims.x) {
      break;
    }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x * 4u + j;
      if (col < dims.y) {
        storeC(batch, row, col, acc[i][j]);
      }
    }
  }
}
