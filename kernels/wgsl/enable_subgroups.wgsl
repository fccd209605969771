// Put first in a subgroup program (src/backends/webgpu/kernels/subgroups.ts checks both are there).
enable subgroups;
requires subgroup_id;

// The subgroup builtins an entry point takes (as a parameter of this type).
struct SubgroupIds {
  @builtin(subgroup_id) id: u32,
  @builtin(num_subgroups) count: u32,
  @builtin(subgroup_size) size: u32,
}
