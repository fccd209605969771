// gather.wgsl's element copy for 32-bit words.
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;

fn copyElement(at: u32, out: u32) {
  dst[out] = src[at];
}
