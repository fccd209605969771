// conv2d (ONNX Conv, NCHW) as an implicit GEMM on the shared tile core (gemm_tile.wgsl).
// Per group g (the GEMM batch): C[m, p] = sum_k W[g*Mg + m, k] * X_im2col[k, p], with
// k = (c, kh, kw) over Cg*KH*KW and p = (n, oh, ow) over N*OH*OW; the im2col matrix is never built:
// each invocation decodes its staging columns (output pixels) once, then reads the input windows directly.
// KW and KHW (= KH*KW) are pipeline constants so that decoding k divides by constants.
// Epilogue: bias, activation. Buffers hold {{T}} (f32, or f16 with f32 arithmetic: loads convert,
// the store rounds once).
struct Params {
  xStrides: vec4u,
  wStrides: vec4u,
  N: u32, C: u32, H: u32, W: u32,
  M: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, strideH: u32, strideW: u32, padT: u32,
  padL: u32, dilH: u32, dilW: u32, groups: u32,
  Cg: u32, Mg: u32, xOffset: u32, wOffset: u32,
  biasOffset: u32, biasStride: u32,
}

override HAS_BIAS: bool = false;
// activate()'s code (activation.wgsl): 0 none, 1 relu, 2 gelu, 3 sigmoid.
override ACT: u32 = 0u;
override KW: u32 = 1u;
override KHW: u32 = 1u;
// w is row-major [M][Cg*KH*KW] (the usual weights): A rows are read without decoding k.
override W_CONTIG: bool = false;

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read> w: array<{{T}}>;
@group(0) @binding(2) var<storage, read> bias: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> y: array<{{T}}>;
@group(0) @binding(4) var<uniform> p: Params;

fn gemmDims() -> vec3u {
  return vec3u(p.Mg, p.N * p.OH * p.OW, p.Cg * KHW);
}

fn prepare(group: u32) {
}

fn loadW(group: u32, m: u32, k: u32) -> f32 {
  if (m >= p.Mg || k >= p.Cg * KHW) {
    return 0.0;
  }
  let r = k % KHW;
  let s = p.wStrides;
  return f32(w[p.wOffset + (group * p.Mg + m) * s.x + (k / KHW) * s.y + (r / KW) * s.z + (r % KW) * s.w]);
}

fn loadA4(group: u32, m: u32, k: u32) -> vec4f {
  let K = p.Cg * KHW;
  if (W_CONTIG && m < p.Mg && k + 3u < K) {
    let i = p.wOffset + (group * p.Mg + m) * K + k;
    return vec4f(f32(w[i]), f32(w[i + 1u]), f32(w[i + 2u]), f32(w[i + 3u]));
  }
  return vec4f(loadW(group, m, k), loadW(group, m, k + 1u), loadW(group, m, k + 2u), loadW(group, m, k + 3u));
}

// This invocation's staging columns (output pixels col..col+3), decoded by prepareCols: the offset of
// their image and group in x, and the input row and column of their windows' top-left corner.
var<private> colBase: vec4u;
var<private> colH: vec4i;
var<private> colW: vec4i;
var<private> colOk: vec4<bool>;

fn prepareCol(group: u32, col: u32) -> vec4u {
  let ohw = p.OH * p.OW;
  let n = col / ohw;
  let q = col % ohw;
  let base = p.xOffset + n * p.xStrides.x + group * p.Cg * p.xStrides.y;
  return vec4u(base, (q / p.OW) * p.strideH, (q % p.OW) * p.strideW, u32(col < p.N * ohw));
}

fn prepareCols(group: u32, col: u32) {
  let c0 = prepareCol(group, col);
  let c1 = prepareCol(group, col + 1u);
  let c2 = prepareCol(group, col + 2u);
  let c3 = prepareCol(group, col + 3u);
  colBase = vec4u(c0.x, c1.x, c2.x, c3.x);
  colH = vec4i(vec4u(c0.y, c1.y, c2.y, c3.y)) - i32(p.padT);
  colW = vec4i(vec4u(c0.z, c1.z, c2.z, c3.z)) - i32(p.padL);
  colOk = vec4u(c0.w, c1.w, c2.w, c3.w) != vec4u();
}

fn loadX(ok: bool, base: u32, ih: i32, iw: i32) -> f32 {
  if (!ok || ih < 0 || iw < 0 || ih >= i32(p.H) || iw >= i32(p.W)) {
    return 0.0;
  }
  return f32(x[base + u32(ih) * p.xStrides.z + u32(iw) * p.xStrides.w]);
}

// im2col[k, col..col+3] for the columns given to prepareCols.
fn loadB4(group: u32, k: u32, col: u32) -> vec4f {
  if (k >= p.Cg * KHW) {
    return vec4f();
  }
  let r = k % KHW;
  let off = (k / KHW) * p.xStrides.y;
  let ih = colH + i32((r / KW) * p.dilH);
  let iw = colW + i32((r % KW) * p.dilW);
  return vec4f(loadX(colOk.x, colBase.x + off, ih.x, iw.x), loadX(colOk.y, colBase.y + off, ih.y, iw.y),
               loadX(colOk.z, colBase.z + off, ih.z, iw.z), loadX(colOk.w, colBase.w + off, ih.w, iw.w));
}

fn epilogue(oc: u32, value: f32) -> f32 {
  var v = value;
  if (HAS_BIAS) {
    v += f32(bias[p.biasOffset + oc * p.biasStride]);
  }
  return activate(ACT, v);
}

// Output channel m of the group at pixels col..col+3 (which may run into the next image).
fn storeC4(group: u32, m: u32, col: u32, value: vec4f, dims: vec3u) {
  let ohw = p.OH * p.OW;
  let oc = group * p.Mg + m;
  var n = col / ohw;
  var q = col % ohw;
  for (var j = 0u; j < 4u; j++) {
    if (col + j >= dims.y) {
      return;
    }
    y[(n * p.M + oc) * ohw + q] = {{T}}(epilogue(oc, value[j]));
    q++;
    if (q == ohw) {
      q = 0u;
      n++;
    }
  }
}
