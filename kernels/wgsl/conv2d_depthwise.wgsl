// conv2d with one input channel per group (depthwise, channel multiplier Mg): a direct kernel,
// one invocation per output element. Same uniform block and epilogue as conv2d.wgsl; buffers hold {{T}}
// (f32, or f16 summed in f32 and rounded once).
struct Params {
  xStrides: vec4u,
  wStrides: vec4u,
  N: u32, C: u32, H: u32, W: u32,
  M: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, strideH: u32, strideW: u32, padT: u32,
  padL: u32, dilH: u32, dilW: u32, groups: u32,
  Cg: u32, Mg: u32, xOffset: u32, wOffset: u32,
  biasOffset: u32, biasStride: u32, rowPitch: u32,
}

override HAS_BIAS: bool = false;
override ACT: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<{{T}}>;
@group(0) @binding(1) var<storage, read> w: array<{{T}}>;
@group(0) @binding(2) var<storage, read> bias: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> y: array<{{T}}>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * p.rowPitch;
  let ohw = p.OH * p.OW;
  if (i >= p.N * p.M * ohw) {
    return;
  }
  let ow = i % p.OW;
  let oh = (i / p.OW) % p.OH;
  let m = (i / ohw) % p.M;
  let n = i / (ohw * p.M);
  let c = m / p.Mg;
  let xs = p.xStrides;
  let ws = p.wStrides;
  let xBase = p.xOffset + n * xs.x + c * xs.y;
  let wBase = p.wOffset + m * ws.x;
  var acc = 0.0;
  for (var kh = 0u; kh < p.KH; kh++) {
    let ih = i32(oh * p.strideH + kh * p.dilH) - i32(p.padT);
    if (ih < 0 || ih >= i32(p.H)) {
      continue;
    }
    for (var kw = 0u; kw < p.KW; kw++) {
      let iw = i32(ow * p.strideW + kw * p.dilW) - i32(p.padL);
      if (iw >= 0 && iw < i32(p.W)) {
        acc += f32(x[xBase + u32(ih) * xs.z + u32(iw) * xs.w]) * f32(w[wBase + kh * ws.z + kw * ws.w]);
      }
    }
  }
  if (HAS_BIAS) {
    acc += f32(bias[p.biasOffset + m * p.biasStride]);
  }
  y[i] = {{T}}(activate(ACT, acc));
}
