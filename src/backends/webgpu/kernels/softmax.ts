// softmax / logSoftmax (kernels/wgsl/softmax.wgsl): one workgroup per row along the axis.
import type { SoftmaxInfo } from '../../../ops/softmax.js';
import { allFloat32, fitsBinding, no, Uniforms, type GpuKernel } from '../kernel.js';
import type { Program } from '../runtime.js';
import { gatherDispatch, MAX_GATHER_RANK } from './gather.js';

export function softmaxProgram(log: boolean): Program {
  return { name: 'softmax_f32', files: ['float_bits', 'softmax'], bindings: ['read', 'write'], constants: { LOG: log ? 1 : 0 } };
}

export const softmaxKernel: GpuKernel<SoftmaxInfo> = {
  supports(info, inputs, limits) {
    const f = allFloat32('softmax', inputs);
    if (!f.ok) return f;
    if ((inputs[0]?.shape.length ?? 0) > MAX_GATHER_RANK) return no(`softmax on webgpu handles rank <= ${MAX_GATHER_RANK}`);
    return fitsBinding('softmax', [...inputs, ...info.outputs], limits);
  },
  async run(ctx, info, [x0], [y]) {
    const x = x0!;
    const rows = info.outer * info.inner;
    if (rows === 0 || info.axisLength === 0) return;
    let src = ctx.buffer(x), offset = x.offset;
    const dispatches = [];
    if (!x.contiguous) {
      const dst = ctx.scratch(x.size * 4);
      dispatches.push(gatherDispatch(src, dst, x.shape, x.strides, x.offset));
      src = dst;
      offset = 0;
    }
    const gx = Math.min(rows, 65535);
    const u = new Uniforms().u32(offset, info.outer, info.axisLength, info.inner, gx);
    dispatches.push({ program: softmaxProgram(info.log), buffers: [src, ctx.buffer(y!)], uniforms: u.buffer, workgroups: [gx, Math.ceil(rows / gx), 1] as [number, number, number] });
    await ctx.encode(dispatches);
  },
  programs: () => [softmaxProgram(false)],
};
