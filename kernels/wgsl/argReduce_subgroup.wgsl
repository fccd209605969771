// argReduce.wgsl's entry point with subgroups: each subgroup picks its best candidate with subgroup
// operations, subgroup 0 then picks among the num_subgroups winners. Like subgroup_fold.wgsl it
// assumes no subgroup size or mapping of invocations to subgroups.
var<workgroup> bestValue: array<f32, WG>;
var<workgroup> bestIndex: array<u32, WG>;

// The subgroup's best candidate, in every lane, ranked as beats() ranks: any NaN is the extreme,
// else the largest (smallest) number; among equals the lowest index (the highest with SELECT_LAST).
fn subgroupBest(b: Best) -> Best {
  let valid = b.i != NONE;
  let nan = valid && isNan(b.v);
  let anyNan = subgroupAny(nan);
  let number = valid && !nan;
  var extreme: f32;
  if (IS_MAX) {
    extreme = subgroupMax(select(fromBits(0xff800000u), b.v, number));
  } else {
    extreme = subgroupMin(select(fromBits(0x7f800000u), b.v, number));
  }
  let candidate = select(number && b.v == extreme, nan, anyNan);
  var i: u32;
  if (SELECT_LAST) {
    // No candidate (no lane has an element) leaves 0: told apart by subgroupAny(valid) below.
    i = subgroupMax(select(0u, b.i, candidate));
  } else {
    i = subgroupMin(select(NONE, b.i, candidate));
  }
  return Best(select(extreme, fromBits(0x7fc00000u), anyNan), select(NONE, i, subgroupAny(valid)));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32, s: SubgroupIds) {
  let row = wid.x + wid.y * p.groupPitch;
  if (row >= p.rows) {
    return;
  }
  let own = subgroupBest(rowBest(row, li));
  if (subgroupElect()) {
    bestValue[s.id] = own.v;
    bestIndex[s.id] = own.i;
  }
  workgroupBarrier();
  if (s.id == 0u) {
    // Active lane k of n takes winners k, k + n, ... in order, then one more subgroup pick.
    let n = subgroupAdd(1u);
    var b = Best(0.0, NONE);
    for (var j = subgroupExclusiveAdd(1u); j < s.count; j += n) {
      if (beats(bestValue[j], bestIndex[j], b.v, b.i)) {
        b = Best(bestValue[j], bestIndex[j]);
      }
    }
    let best = subgroupBest(b);
    if (subgroupElect()) {
      storeIndex(row, best.i);
    }
  }
}
