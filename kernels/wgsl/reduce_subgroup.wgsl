// reduce.wgsl's entry point with subgroups (subgroup_fold.wgsl): one subgroup fold per subgroup, then
// subgroup 0 folds the num_subgroups partials; log2(subgroups) steps instead of log2(WG).
// Rows per thread (PER_THREAD) use reduce_tree.wgsl: they fold no workgroup.
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32, s: SubgroupIds) {
  let g = wid.x + wid.y * p.groupPitch;
  if (g >= p.rows * p.chunks) {
    return;
  }
  storeSubgroupPartial(chunkPartial(g, li), COMBINE, s);
  if (s.id == 0u) {
    let v = foldPartials(COMBINE, identity(), s);
    if (subgroupElect()) {
      storeChunk(g, v);
    }
  }
}
