// Workgroup folds of f32 values through subgroups (programs starting with enable_subgroups): each
// subgroup folds its lanes with one subgroup operation, the elected lane writes the subgroup's
// partial to workgroup memory, and a subgroup then folds the partials. Nothing assumes a subgroup
// size or how invocations map to subgroups: subgroup_id numbers them, num_subgroups counts them,
// and a partly filled subgroup (a workgroup size that is no multiple of it) counts only its active
// lanes. The including file defines WG, its workgroup size.
// Ops: 0 sum, 1 prod, 2 max, 3 min; max and min propagate NaN like the tree's combine.

// One slot per subgroup: every subgroup has an invocation, so WG slots are always enough.
var<workgroup> subgroupPart: array<f32, WG>;

fn foldPair(a: f32, b: f32, op: u32) -> f32 {
  switch (op) {
    case 1u: { return a * b; }
    case 2u: { return select(select(max(a, b), b, isNan(b)), a, isNan(a)); }
    case 3u: { return select(select(min(a, b), b, isNan(b)), a, isNan(a)); }
    default: { return a + b; }
  }
}

// The fold of v over the subgroup's active lanes, in every lane.
fn subgroupFold(v: f32, op: u32, s: SubgroupIds) -> f32 {
  switch (op) {
    case 0u: {
      // subgroupAdd may add the lanes in sequence (lavapipe does): a full subgroup adds pairwise instead,
      // log2(size) rounds of exchanges, so sums stay as accurate as the workgroup tree's.
      if (subgroupAdd(1u) == s.size) {
        var a = v;
        for (var m = 1u; m < s.size; m *= 2u) {
          a += subgroupShuffleXor(a, m);
        }
        return a;
      }
      return subgroupAdd(v);
    }
    case 1u: { return subgroupMul(v); }
    case 2u, 3u: {
      // subgroupMax/Min leave NaN to the implementation: fold the numbers, then let any NaN win.
      let nan = isNan(v);
      let n = select(v, fromBits(select(0x7f800000u, 0xff800000u, op == 2u)), nan);
      var m: f32;
      if (op == 2u) {
        m = subgroupMax(n);
      } else {
        m = subgroupMin(n);
      }
      return select(m, fromBits(0x7fc00000u), subgroupAny(nan));
    }
    default: { return subgroupAdd(v); }
  }
}

// Writes each subgroup's fold of v to subgroupPart[its id]; ends with a barrier, so every
// invocation may then call foldPartials. A second round must put a barrier after foldPartials.
fn storeSubgroupPartial(v: f32, op: u32, s: SubgroupIds) {
  let own = subgroupFold(v, op, s);
  if (subgroupElect()) {
    subgroupPart[s.id] = own;
  }
  workgroupBarrier();
}

// The fold of all subgroup partials, in every lane of the calling subgroup: active lane k of n
// folds partials k, k + n, ... in order, then one subgroup fold joins the lanes.
fn foldPartials(op: u32, identity: f32, s: SubgroupIds) -> f32 {
  let n = subgroupAdd(1u);
  var a = identity;
  for (var j = subgroupExclusiveAdd(1u); j < s.count; j += n) {
    a = foldPair(a, subgroupPart[j], op);
  }
  return subgroupFold(a, op, s);
}
