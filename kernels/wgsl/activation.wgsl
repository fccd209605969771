// Shared by unary.wgsl and the conv epilogues: erf and the fused activations.

// erf: Taylor series near 0 (relative accuracy), Abramowitz-Stegun 7.1.26 beyond (|error| < 1.5e-7).
fn erf32(v: f32) -> f32 {
  let t = abs(v);
  if (t < 0.5) {
    let s = v * v;
    return 1.1283791671 * v * (1.0 + s * (-0.3333333333 + s * (0.1 + s * (-0.0238095238 + s * (0.0046296296 - s * 0.0007575758)))));
  }
  let k = 1.0 / (1.0 + 0.3275911 * t);
  let poly = k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429))));
  let r = 1.0 - poly * exp(-t * t);
  return select(r, -r, v < 0.0);
}

// A fused epilogue's activation: 0 none, 1 relu, 2 gelu (exact), 3 sigmoid.
fn activate(act: u32, v: f32) -> f32 {
  switch (act) {
    case 1u: { return select(v, 0.0, v < 0.0); }
    case 2u: { return 0.5 * v * (1.0 + erf32(v * 0.70710678118)); }
    case 3u: { return 1.0 / (1.0 + exp(-v)); }
    default: { return v; }
  }
}
