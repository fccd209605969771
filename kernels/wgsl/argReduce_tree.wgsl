// argReduce.wgsl's entry point without subgroups: a workgroup tree over WG candidates.
var<workgroup> bestValue: array<f32, WG>;
var<workgroup> bestIndex: array<u32, WG>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = wid.x + wid.y * p.groupPitch;
  if (row >= p.rows) {
    return;
  }
  let b = rowBest(row, li);
  bestValue[li] = b.v;
  bestIndex[li] = b.i;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (li < s && beats(bestValue[li + s], bestIndex[li + s], bestValue[li], bestIndex[li])) {
      bestValue[li] = bestValue[li + s];
      bestIndex[li] = bestIndex[li + s];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    storeIndex(row, bestIndex[0]);
  }
}
