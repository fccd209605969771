// argmax / argmin (kernels/wgsl/argReduce.wgsl): the axis moved last (gathered when needed), one
// workgroup per row (folded through subgroup operations when the device has them), int64 indices.
import type { ArgReduceInfo } from '../../../ops/argReduce.js';
import { isContiguous } from '../../../shape.js';
import { allFloat32, fitsBinding, no, Uniforms, type GpuKernel } from '../kernel.js';
import type { Program } from '../runtime.js';
import { gatherDispatch, MAX_GATHER_RANK } from './gather.js';
import { SUBGROUP_PREFIX, subgroupsUsable } from './subgroups.js';

export function argReduceProgram(isMax: boolean, last: boolean, subgroups = false): Program {
  const constants = { IS_MAX: isMax ? 1 : 0, SELECT_LAST: last ? 1 : 0 };
  return subgroups
    ? { name: 'argReduce_f32_subgroups', files: [...SUBGROUP_PREFIX, 'float_bits', 'argReduce', 'argReduce_subgroup'], bindings: ['read', 'write'], constants }
    : { name: 'argReduce_f32', files: ['float_bits', 'argReduce', 'argReduce_tree'], bindings: ['read', 'write'], constants };
}

export const argReduceKernel: GpuKernel<ArgReduceInfo> = {
  supports(info, inputs, limits) {
    const f = allFloat32(info.isMax ? 'argmax' : 'argmin', inputs);
    if (!f.ok) return f;
    if ((inputs[0]?.shape.length ?? 0) > MAX_GATHER_RANK) return no(`argmax/argmin on webgpu handle rank <= ${MAX_GATHER_RANK}`);
    return fitsBinding('argReduce', [...inputs, ...info.outputs], limits);
  },
  async run(ctx, info, [x0], [y]) {
    const x = x0!;
    const rows = y!.size;
    if (rows === 0) return;
    const order = [...[...x.shape.keys()].filter((d) => d !== info.axis), info.axis];
    const shape = order.map((d) => x.shape[d]!), strides = order.map((d) => x.strides[d]!);
    let src = ctx.buffer(x), offset = x.offset;
    const dispatches = [];
    if (!isContiguous(shape, strides)) {
      const dst = ctx.scratch(x.size * 4);
      dispatches.push(gatherDispatch(src, dst, shape, strides, x.offset));
      src = dst;
      offset = 0;
    }
    const gx = Math.min(rows, 65535);
    const u = new Uniforms().u32(offset, rows, info.axisLength, gx);
    dispatches.push({ program: argReduceProgram(info.isMax, info.selectLastIndex, subgroupsUsable(ctx.rt)), buffers: [src, ctx.buffer(y!)], uniforms: u.buffer, workgroups: [gx, Math.ceil(rows / gx), 1] as [number, number, number] });
    await ctx.encode(dispatches);
  },
  programs: () => [argReduceProgram(true, false), argReduceProgram(false, false)],
};
