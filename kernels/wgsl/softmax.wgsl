// softmax / logSoftmax along an axis of a contiguous [outer, len, inner] input: one workgroup per
// (outer, inner) row: max, then sum of exp(x - max), then the outputs. NaN propagates.
struct Params {
  offset: u32,
  outer: u32,
  len: u32,
  inner: u32,
  groupPitch: u32,
}

override LOG: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const WG = 256u;
var<workgroup> part: array<f32, WG>;

fn max32(a: f32, b: f32) -> f32 {
  return select(select(max(a, b), b, isNan(b)), a, isNan(a));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let r = wid.x + wid.y * p.groupPitch;
  if (r >= p.outer * p.inner) {
    return;
  }
  let base = (r / p.inner) * p.len * p.inner + r % p.inner;
  var m = fromBits(0xff800000u);
  for (var i = li; i < p.len; i += WG) {
    m = max32(m, x[p.offset + base + i * p.inner]);
  }
  part[li] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (li < s) {
      part[li] = max32(part[li], part[li + s]);
    }
    workgroupBarrier();
  }
  let rowMax = part[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var i = li; i < p.len; i += WG) {
    sum += exp(x[p.offset + base + i * p.inner] - rowMax);
  }
  part[li] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (li < s) {
      part[li] += part[li + s];
    }
    workgroupBarrier();
  }
  let total = part[0];
  let logTotal = log(total);
  for (var i = li; i < p.len; i += WG) {
    let v = x[p.offset + base + i * p.inner] - rowMax;
    y[base + i * p.inner] = select(exp(v) / total, v - logTotal, LOG);
  }
}
