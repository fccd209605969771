// batchNorm, inference mode (kernels/wgsl/batchNorm.wgsl).
import type { BatchNormInfo } from '../../../ops/batchNorm.js';
import { allFloat32, fitsBinding, grid1d, Uniforms, type GpuKernel } from '../kernel.js';
import type { Program } from '../runtime.js';
import { gatherDispatch } from './gather.js';

export const batchNormProgram: Program = { name: 'batchNorm_f32', files: ['batchNorm'], bindings: ['read', 'read', 'read', 'read', 'read', 'write'] };

export const batchNormKernel: GpuKernel<BatchNormInfo> = {
  supports(info, inputs, limits) {
    const f = allFloat32('batchNorm', inputs);
    if (!f.ok) return f;
    if ((inputs[0]?.shape.length ?? 0) > 8) return { ok: false, reason: 'batchNorm on webgpu handles rank <= 8' };
    return fitsBinding('batchNorm', [...inputs, ...info.outputs], limits);
  },
  async run(ctx, info, [x0, scale, bias, mean, variance], [y]) {
    const x = x0!;
    const count = y!.size;
    if (count === 0) return;
    let src = ctx.buffer(x), offset = x.offset;
    const dispatches = [];
    if (!x.contiguous) {
      const dst = ctx.scratch(count * 4);
      dispatches.push(gatherDispatch(src, dst, x.shape, x.strides, x.offset));
      src = dst;
      offset = 0;
    }
    const params = [scale!, bias!, mean!, variance!];
    const g = grid1d(count);
    const u = new Uniforms().vec4u(params.map((t) => t.offset), 1).vec4u(params.map((t) => t.strides[0]!), 1)
      .u32(offset, info.C, Math.max(1, info.spatial), count, g.rowPitch).f32(info.epsilon);
    dispatches.push({ program: batchNormProgram, buffers: [src, ...params.map((t) => ctx.buffer(t)), ctx.buffer(y!)], uniforms: u.buffer, workgroups: g.workgroups });
    await ctx.encode(dispatches);
  },
  programs: () => [batchNormProgram],
};
