// Shared GEMM tile core: C[batch] (MxN) = A[batch] (MxK) * B[batch] (KxN), reached only through
// gemmDims / prepare / prepareCols / loadA4 / loadB4 / storeC4, which the op file defines (matmul.wgsl, conv2d.wgsl).
// A workgroup of 4x4 invocations computes a (4*TR)x64 tile; each invocation a TRx16 block held in registers.
// TR and the invocation's block steps are placeholders written by gemmTile.ts: ACC declares the
// accumulators (function variables: module-scope ones live in memory on llvmpipe), STEP multiplies one
// k-slice of 4 into them (unrolled), STORE hands them to storeC4.
// Few invocations with big register blocks: on a CPU adapter (llvmpipe) every memory load is paid per
// invocation and element while multiply-adds run as SIMD, so loads per multiply-add decide the speed.
// Loads are bounds-checked by the op's functions (out of range reads 0), so any M, N, K works.
const TR = {{TR}}u;
const BM = 4u * TR;
const BN = 64u;
const BK = 16u;

// tileA[m * 4 + q] holds A[m, 4q..4q+3] of the k-slice; tileB[k * 16 + q] holds B[k, 4q..4q+3].
var<workgroup> tileA: array<vec4f, BM * 4u>;
var<workgroup> tileB: array<vec4f, BK * 16u>;

@compute @workgroup_size(4, 4, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let dims = gemmDims();
  let batch = wid.z;
  prepare(batch);
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  // Invocation li always stages B columns col0 + 4li..+3, so the op decodes them once (conv2d: output
  // pixels to input windows) instead of once per k.
  prepareCols(batch, col0 + li * 4u);
  let ra = lid.y * TR;
  let cb = lid.x * 4u;
  {{ACC}}
  for (var k0 = 0u; k0 < dims.z; k0 += BK) {
    for (var i = li; i < BM * 4u; i += 16u) {
      tileA[i] = loadA4(batch, row0 + i / 4u, k0 + (i % 4u) * 4u);
    }
    for (var k = 0u; k < BK; k++) {
      tileB[k * 16u + li] = loadB4(batch, k0 + k, col0 + li * 4u);
    }
    workgroupBarrier();
    for (var q = 0u; q < 4u; q++) {
      {{STEP}}
    }
    workgroupBarrier();
  }
  let row = row0 + ra;
  let col = col0 + cb * 4u;
  {{STORE}}
}
