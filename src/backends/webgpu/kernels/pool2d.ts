// maxPool2d / avgPool2d (kernels/wgsl/pool2d.wgsl): one invocation per output element.
import type { Pool2dInfo } from '../../../ops/pool2d.js';
import { allFloat32, fitsBinding, grid1d, Uniforms, type GpuKernel } from '../kernel.js';
import type { Program } from '../runtime.js';

export function pool2dProgram(isMax: boolean, countPad: boolean, indices: boolean): Program {
  return {
    name: 'pool2d_f32', files: ['pool2d'], bindings: ['read', 'write', 'write'],
    constants: { IS_MAX: isMax ? 1 : 0, COUNT_PAD: countPad ? 1 : 0, WITH_INDICES: indices ? 1 : 0 },
  };
}

export const pool2dKernel: GpuKernel<Pool2dInfo> = {
  supports(info, inputs, limits) {
    const f = allFloat32(info.isMax ? 'maxPool2d' : 'avgPool2d', inputs);
    if (!f.ok) return f;
    return fitsBinding('pool2d', [...inputs, ...info.outputs], limits);
  },
  async run(ctx, info, [x0], [y, indices]) {
    const x = x0!;
    const count = y!.size;
    if (count === 0) return;
    const w = info.window;
    const g = grid1d(count);
    const u = new Uniforms().vec4u(x.strides, 1)
      .u32(info.N, info.C, info.H, info.W, info.OH, info.OW, w.kernel[0]!, w.kernel[1]!, w.strides[0]!, w.strides[1]!,
        w.pads[0]!, w.pads[1]!, w.pads[2]!, w.pads[3]!, w.dilations[0]!, w.dilations[1]!, x.offset, g.rowPitch, info.storageOrder);
    const idx = indices ? ctx.buffer(indices) : ctx.scratch(8);
    await ctx.encode([{
      program: pool2dProgram(info.isMax, info.countIncludePad, indices !== undefined),
      buffers: [ctx.buffer(x), ctx.buffer(y!), idx], uniforms: u.buffer, workgroups: g.workgroups,
    }]);
  },
  programs: () => [pool2dProgram(true, false, false), pool2dProgram(false, false, false)],
};
