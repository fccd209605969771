// maxPool2d / avgPool2d on NCHW, one invocation per output element; x read through strides.
// Max: the first valid tap starts the window, a later one replaces it only when strictly greater;
// an all-padding window gives the lowest float32 and index -1. Indices (int64, as two u32 words)
// when WITH_INDICES. Avg: the divisor counts real cells, or with COUNT_PAD the cells inside the
// pads too (not those ceilMode adds beyond them); nothing to count gives 0.
struct Params {
  xStrides: vec4u,
  N: u32, C: u32, H: u32, W: u32,
  OH: u32, OW: u32, KH: u32, KW: u32,
  strideH: u32, strideW: u32, padT: u32, padL: u32,
  padB: u32, padR: u32, dilH: u32, dilW: u32,
  xOffset: u32, rowPitch: u32, storageOrder: u32,
}

override IS_MAX: bool = true;
override COUNT_PAD: bool = false;
override WITH_INDICES: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> indices: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * p.rowPitch;
  if (i >= p.N * p.C * p.OH * p.OW) {
    return;
  }
  let ow = i % p.OW;
  let oh = (i / p.OW) % p.OH;
  let nc = i / (p.OW * p.OH);
  let c = nc % p.C;
  let n = nc / p.C;
  let base = p.xOffset + n * p.xStrides.x + c * p.xStrides.y;
  let h0 = i32(oh * p.strideH) - i32(p.padT);
  let w0 = i32(ow * p.strideW) - i32(p.padL);
  var best = -3.4028234663852886e38;
  var at = -1;
  var sum = 0.0;
  var real = 0u;
  var padded = 0u;
  for (var kh = 0u; kh < p.KH; kh++) {
    let ih = h0 + i32(kh * p.dilH);
    let rowIn = ih >= 0 && ih < i32(p.H);
    let rowPad = ih >= -i32(p.padT) && ih < i32(p.H + p.padB);
    for (var kw = 0u; kw < p.KW; kw++) {
      let iw = w0 + i32(kw * p.dilW);
      if (rowPad && iw >= -i32(p.padL) && iw < i32(p.W + p.padR)) {
        padded++;
      }
      if (!rowIn || iw < 0 || iw >= i32(p.W)) {
        continue;
      }
      let v = x[base + u32(ih) * p.xStrides.z + u32(iw) * p.xStrides.w];
      real++;
      sum += v;
      if (at < 0 || v > best) {
        best = v;
        at = select(ih + iw * i32(p.H), ih * i32(p.W) + iw, p.storageOrder == 0u);
      }
    }
  }
  if (IS_MAX) {
    y[i] = best;
    if (WITH_INDICES) {
      let flat = select(-1, i32(nc * p.H * p.W) + at, at >= 0);
      indices[2u * i] = bitcast<u32>(flat);
      indices[2u * i + 1u] = select(0u, 0xffffffffu, flat < 0);
    }
  } else {
    let count = select(real, padded, COUNT_PAD);
    y[i] = select(0.0, sum / f32(count), count > 0u);
  }
}
