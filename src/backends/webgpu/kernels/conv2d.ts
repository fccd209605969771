// conv2d: implicit GEMM on the shared tile core (conv2d.wgsl), or a direct kernel when each group
// has one input channel (conv2d_depthwise.wgsl). Bias and activation are fused in the epilogue.
// float32, or float16 buffers (shader-f16) summed in f32 with the epilogue in f32, rounded once.
import type { DType } from '../../../dtype.js';
import type { ConvActivation } from '../../../ops/attrs.js';
import type { Conv2dInfo } from '../../../ops/conv2d.js';
import { allFloat32Or16, fitsBinding, grid1d, no, storageType, Uniforms, type GpuKernel } from '../kernel.js';
import type { Program } from '../runtime.js';
import { TILE_N, tilePlaceholders, tileRowsFor, type TileRows } from './gemmTile.js';

/** activate()'s codes (activation.wgsl). */
const ACT: Record<ConvActivation, number> = { none: 0, relu: 1, gelu: 2, sigmoid: 3 };

/** The implicit GEMM's kernel window (its divisions are by pipeline constants) and tile height (by Mg). */
export interface ConvGemmShape {
  readonly KH: number;
  readonly KW: number;
  readonly rows: TileRows;
  /** w is row-major [M][Cg*KH*KW]. */
  readonly wContiguous?: boolean;
}

export function conv2dProgram(depthwise: boolean, hasBias: boolean, act: ConvActivation, shape: ConvGemmShape = { KH: 3, KW: 3, rows: 16, wContiguous: true },
  dtype: DType = 'float32'): Program {
  const constants = { HAS_BIAS: hasBias ? 1 : 0, ACT: ACT[act] };
  const { T, prefix } = storageType(dtype);
  return depthwise
    ? { name: `conv2d_${T}_depthwise`, files: [...prefix, 'activation', 'conv2d_depthwise'], placeholders: { T }, constants, bindings: ['read', 'read', 'read', 'write'] }
    : {
      name: `conv2d_${T}_implicit_gemm_r${shape.rows}`, files: [...prefix, 'activation', 'gemm_tile', 'conv2d'], placeholders: { ...tilePlaceholders(shape.rows), T },
      constants: { ...constants, KW: shape.KW, KHW: shape.KH * shape.KW, W_CONTIG: shape.wContiguous ? 1 : 0 }, bindings: ['read', 'read', 'read', 'write'],
    };
}

/** Direct kernel when a group sees one input channel and the GEMM would be too thin to tile well. */
function isDepthwise(info: Conv2dInfo): boolean {
  return info.groups > 1 && info.C / info.groups === 1;
}

export const conv2dKernel: GpuKernel<Conv2dInfo> = {
  supports(info, inputs, limits, features) {
    const f = allFloat32Or16('conv2d', inputs, features);
    if (!f.ok) return f;
    const max = limits.maxComputeWorkgroupsPerDimension;
    const cols = info.N * info.OH * info.OW;
    const Mg = info.M / info.groups;
    if (!isDepthwise(info) && (Math.ceil(cols / TILE_N) > max || Math.ceil(Mg / (4 * tileRowsFor(Mg))) > max || info.groups > max)) {
      return no(`conv2d on webgpu: N*OH*OW must be at most ${max * TILE_N} and groups at most ${max}`);
    }
    return fitsBinding('conv2d', [...inputs, ...info.outputs], limits);
  },
  async run(ctx, info, [x0, w0, b], [y]) {
    const x = x0!, w = w0!;
    const depthwise = isDepthwise(info);
    const [sh, sw] = info.window.strides as [number, number];
    const [dh, dw] = info.window.dilations as [number, number];
    const [pt, pl] = info.window.pads as [number, number];
    const Cg = info.C / info.groups, Mg = info.M / info.groups;
    const total = info.N * info.M * info.OH * info.OW;
    const g = grid1d(total);
    const u = new Uniforms()
      .vec4u(x.strides, 1).vec4u(w.strides, 1)
      .u32(info.N, info.C, info.H, info.W, info.M, info.OH, info.OW, info.KH, info.KW, sh, sw, pt, pl, dh, dw, info.groups, Cg, Mg, x.offset, w.offset)
      .u32(b ? b.offset : 0, b ? b.strides[0]! : 0, g.rowPitch);
    const xb = ctx.buffer(x);
    const KHW = info.KH * info.KW;
    const wContiguous = [Cg * KHW, KHW, info.KW, 1].every((s, i) => w.strides[i] === s || w.shape[i] === 1);
    const shape: ConvGemmShape = { KH: info.KH, KW: info.KW, rows: tileRowsFor(Mg), wContiguous };
    const workgroups: [number, number, number] = depthwise ? g.workgroups : [Math.ceil((info.N * info.OH * info.OW) / TILE_N), Math.ceil(Mg / (4 * shape.rows)), info.groups];
    await ctx.encode([{
      program: conv2dProgram(depthwise, b !== undefined, info.activation, shape, info.dtype),
      buffers: [xb, ctx.buffer(w), b ? ctx.buffer(b) : xb, ctx.buffer(y!)], uniforms: u.buffer, workgroups,
    }]);
  },
  programs: () => [conv2dProgram(false, true, 'none'), conv2dProgram(false, true, 'relu'), conv2dProgram(true, true, 'none'), conv2dProgram(true, true, 'relu')],
};
