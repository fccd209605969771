// reduce.wgsl's entry point without subgroups: a workgroup tree over WG partials (log2(WG) steps).
var<workgroup> part: array<f32, WG>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let g = wid.x + wid.y * p.groupPitch;
  if (PER_THREAD) {
    foldRowPerThread(g, li);
    return;
  }
  if (g >= p.rows * p.chunks) {
    return;
  }
  part[li] = chunkPartial(g, li);
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (li < s) {
      part[li] = combine(part[li], part[li + s]);
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    storeChunk(g, part[0]);
  }
}
