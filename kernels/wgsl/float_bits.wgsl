// Float bit helpers shared by the elementwise and reduction kernels.

// Non-finite constants must be made at run time: WGSL rejects them in constant expressions.
fn fromBits(bits: u32) -> f32 {
  var b = bits;
  return bitcast<f32>(b);
}

fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}
