// Reductions over any axes (kernels/wgsl/reduce.wgsl): the input is seen as [rows, len] with the
// reduced axes last (gathered first when they are not), folded by workgroup tree reductions (through
// subgroup operations when the device has them), in several passes when rows are long. Also
// globalAvgPool / globalMaxPool (rows N*C, len spatial).
import type { GlobalPoolInfo } from '../../../ops/pool2d.js';
import type { ReduceInfo, ReduceKind } from '../../../ops/reduce.js';
import { isContiguous } from '../../../shape.js';
import type { Tensor } from '../../../tensor.js';
import { allFloat32, fitsBinding, no, Uniforms, type GpuKernel, type KernelContext } from '../kernel.js';
import type { Dispatch, GpuBuffer, Program } from '../runtime.js';
import { gatherDispatch, MAX_GATHER_RANK } from './gather.js';
import { SUBGROUP_PREFIX, subgroupsUsable } from './subgroups.js';

const WG = 256;
/** Elements one workgroup folds per pass: 16 per invocation. */
const CHUNK = WG * 16;
/** Rows shorter than this, when there are many, are folded one per invocation. */
const SHORT_ROW = 256;

interface Steps { pre: number; combine: number; post: number }
/** max |x| per row: the first pass of l2. */
const MAX_ABS: Steps = { pre: 2, combine: 2, post: 0 };
const STEPS: Record<ReduceKind, Steps> = {
  sum: { pre: 0, combine: 0, post: 0 },
  mean: { pre: 0, combine: 0, post: 1 },
  max: { pre: 0, combine: 2, post: 0 },
  min: { pre: 0, combine: 3, post: 0 },
  prod: { pre: 0, combine: 1, post: 0 },
  sumSquare: { pre: 1, combine: 0, post: 0 },
  l1: { pre: 2, combine: 0, post: 0 },
  l2: { pre: 4, combine: 0, post: 5 },
  logSum: { pre: 0, combine: 0, post: 4 },
  logSumExp: { pre: 3, combine: 0, post: 3 },
};

/**
 * `subgroups`: fold workgroups through subgroup operations, with four accumulators in each invocation
 * (reduce_subgroup.wgsl). Rows per thread fold no workgroup and always take the tree program.
 */
export function reduceProgram(s: Steps, perThread: boolean, subgroups = false): Program {
  const constants = { PRE: s.pre, COMBINE: s.combine, POST: s.post, PER_THREAD: perThread ? 1 : 0 };
  if (subgroups && !perThread) {
    return {
      name: 'reduce_f32_subgroups', files: [...SUBGROUP_PREFIX, 'float_bits', 'subgroup_fold', 'reduce', 'reduce_subgroup'],
      bindings: ['read', 'read', 'write'], constants: { ...constants, INTERLEAVED: 1 },
    };
  }
  return { name: 'reduce_f32', files: ['float_bits', 'reduce', 'reduce_tree'], bindings: ['read', 'read', 'write'], constants };
}

function groups2d(n: number): [number, number, number] {
  const x = Math.max(1, Math.min(n, 65535));
  return [n === 0 ? 0 : x, n === 0 ? 0 : Math.ceil(n / x), 1];
}

/**
 * Encodes the folding of src [rows, len] (from element `offset`) into dst [rows]. `count` is the
 * divisor of mean; aux holds per-row values for logSumExp.
 */
export function foldRows(ctx: KernelContext, steps: Steps, src: GpuBuffer, offset: number, rows: number, len: number, dst: GpuBuffer, count: number, aux?: GpuBuffer): Dispatch[] {
  const out: Dispatch[] = [];
  const auxBuf = aux ?? src;
  if (len < SHORT_ROW && rows >= WG) {
    const wg = groups2d(Math.ceil(rows / WG));
    const u = new Uniforms().u32(offset, rows, len, len, 1, wg[0]).f32(count);
    return [{ program: reduceProgram(steps, true), buffers: [src, auxBuf, dst], uniforms: u.buffer, workgroups: wg }];
  }
  const subgroups = subgroupsUsable(ctx.rt);
  let from = src, fromOffset = offset, n = len, first = true;
  for (;;) {
    const chunks = Math.max(1, Math.ceil(n / CHUNK));
    const to = chunks === 1 ? dst : ctx.scratch(rows * chunks * 4);
    const wg = groups2d(rows * chunks);
    const u = new Uniforms().u32(fromOffset, rows, n, CHUNK, chunks, wg[0]).f32(count);
    const s = first ? steps : { ...steps, pre: 0 };
    out.push({ program: reduceProgram(s, false, subgroups), buffers: [from, auxBuf, to], uniforms: u.buffer, workgroups: wg });
    if (chunks === 1) return out;
    from = to; fromOffset = 0; n = chunks; first = false;
  }
}

/** The input as a contiguous [rows, len] buffer with the reduced axes last (gathering when needed). */
async function rowsView(ctx: KernelContext, x: Tensor, axes: readonly number[]): Promise<{ buffer: GpuBuffer; offset: number; dispatches: Dispatch[] }> {
  const dims = [...x.shape.keys()];
  const order = [...dims.filter((d) => !axes.includes(d)), ...axes];
  const shape = order.map((d) => x.shape[d]!), strides = order.map((d) => x.strides[d]!);
  const src = ctx.buffer(x);
  if (isContiguous(shape, strides)) return { buffer: src, offset: x.offset, dispatches: [] };
  const dst = ctx.scratch(Math.max(4, x.size * 4));
  return { buffer: dst, offset: 0, dispatches: [gatherDispatch(src, dst, shape, strides, x.offset)] };
}

async function runReduce(ctx: KernelContext, kind: ReduceKind, x: Tensor, axes: readonly number[], y: Tensor): Promise<void> {
  const rows = y.size;
  if (rows === 0) return;
  const len = axes.reduce((n, d) => n * x.shape[d]!, 1);
  const v = await rowsView(ctx, x, axes);
  const dispatches = [...v.dispatches];
  const yb = ctx.buffer(y);
  if (kind === 'logSumExp' || kind === 'l2') {
    // Two folds: the row's max (|max| for l2) first, which the second uses to stay in range.
    const m = ctx.scratch(rows * 4);
    dispatches.push(...foldRows(ctx, kind === 'l2' ? MAX_ABS : STEPS.max, v.buffer, v.offset, rows, len, m, len));
    dispatches.push(...foldRows(ctx, STEPS[kind], v.buffer, v.offset, rows, len, yb, len, m));
  } else {
    dispatches.push(...foldRows(ctx, STEPS[kind], v.buffer, v.offset, rows, len, yb, len));
  }
  await ctx.encode(dispatches);
}

export const reduceKernel: GpuKernel<ReduceInfo> = {
  supports(info, inputs, limits) {
    const f = allFloat32(info.kind, inputs);
    if (!f.ok) return f;
    if ((inputs[0]?.shape.length ?? 0) > MAX_GATHER_RANK) return no(`${info.kind} on webgpu handles rank <= ${MAX_GATHER_RANK}`);
    return fitsBinding(info.kind, [...inputs, ...info.outputs], limits);
  },
  async run(ctx, info, [x], [y]) {
    const t = x!;
    if (info.identity) {
      await ctx.encode([gatherDispatch(ctx.buffer(t), ctx.buffer(y!), t.shape, t.strides, t.offset)]);
      return;
    }
    await runReduce(ctx, info.kind, t, info.axes, y!);
  },
  programs: () => [reduceProgram(STEPS.sum, false), reduceProgram(STEPS.sum, true), reduceProgram(STEPS.mean, false), reduceProgram(STEPS.max, false)],
};

export const globalPoolKernel: GpuKernel<GlobalPoolInfo> = {
  supports(info, inputs, limits) {
    const f = allFloat32(info.isMax ? 'globalMaxPool' : 'globalAvgPool', inputs);
    if (!f.ok) return f;
    if (info.spatial === 0) return no('global pooling of an empty plane runs on the CPU');
    if ((inputs[0]?.shape.length ?? 0) > MAX_GATHER_RANK) return no(`global pooling on webgpu handles rank <= ${MAX_GATHER_RANK}`);
    return fitsBinding('globalPool', [...inputs, ...info.outputs], limits);
  },
  async run(ctx, info, [x], [y]) {
    const t = x!;
    await runReduce(ctx, info.isMax ? 'max' : 'mean', t, [...t.shape.keys()].slice(2), y!);
  },
};

export const reduceKernels: Readonly<Record<string, GpuKernel>> = {
  ...Object.fromEntries(Object.keys(STEPS).map((k) => [k, reduceKernel])),
  globalAvgPool: globalPoolKernel,
  globalMaxPool: globalPoolKernel,
};
