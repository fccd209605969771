// conv2d (ONNX Conv, NCHW) as an implicit GEMM on the shared tile core (gemm_tile.wgsl).
// Per group g (the GEMM batch): C[m, p] = sum_k W[g*Mg + m, k] * X_im2col[k, p], with
// k = (c, kh, kw) over Cg*KH*KW and p = (n, oh, ow) over N*OH*OW; the im2col matrix is never built.
// Epilogue: bias, activation.
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
// 0: none, 1: relu.
override ACT: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

fn gemmDims() -> vec3u {
  return vec3u(p.Mg, p.N * p.OH * p.OW, p.Cg * p.KH * p.KW);
}

fn prepare(group: u32) {
}

fn loadA(group: u32, m: u32, k: u32) -> f32 {
  if (m >= p.Mg || k >= p.Cg * p.KH * p.KW) {
    return 0.0;
  }
  let kk = p.KH * p.KW;
  let c = k / kk;
  let r = k % kk;
  let s = p.wStrides;
  return w[p.wOffset + (group * p.Mg + m) * s.x + c * s.y + (r / p.KW) * s.z + (r % p.KW) * s.w];
}

fn loadB(group: u32, k: u32, col: u32) -> f32 {
  let ohw = p.OH * p.OW;
  if (k >= p.Cg * p.KH * p.KW || col >= p.N * ohw) {
    return 0.0;
  }
  let kk = p.KH * p.KW;
  let c = k / kk;
  let r = k % kk;
  let n = col / ohw;
  let q = col % ohw;
  let ih = i32((q / p.OW) * p.strideH + (r / p.KW) * p.dilH) - i32(p.padT);
  let iw = i32((q % p.OW) * p.strideW + (r % p.KW) * p.dilW) - i32(p.padL);
  if (ih < 0 || iw < 0 || ih >= i32(p.H) || iw >= i32(p.W)) {
    return 0.0;
  }
  let s = p.xStrides;
  return x[p.xOffset + n * s.x + (group * p.Cg + c) * s.y + u32(ih) * s.z + u32(iw) * s.w];
}

fn loadB4(group: u32, k: u32, col: u32) -> vec4f {
  return vec4f(loadB(group, k, col), loadB(group, k, col + 1u), loadB(group, k, col + 2u), loadB(group, k, col + 3u));
}

fn storeC(group: u32, m: u32, col: u32, value: f32) {
  let ohw = p.OH * p.OW;
  let oc = group * p.Mg + m;
  var v = value;
  if (HAS_BIAS) {
    v += bias[p.biasOffset + oc * p.biasStride];
  }
  if (ACT == 1u) {
    v = select(v, 0.0, v < 0.0);
  }
  y[((col / ohw) * p.M + oc) * ohw + col % ohw] = v;
}
