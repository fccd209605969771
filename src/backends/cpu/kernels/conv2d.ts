import type { NativeAddon, RunMode } from '../../../native.js';
import type { Conv2dAttrs, Conv2dInfo } from '../../../ops/conv2d.js';
import type { Conv2dMaxPoolInfo } from '../../../ops/conv2dMaxPool.js';
import { UNARY_CODE } from '../../../ops/unary.js';
import type { StridedView } from '../../../tensor.js';
import { ACTIVATION_CODE, allFloat32, contiguousF32, type CpuKernel } from './kernel.js';

/** The native conv2d's geometry parameters; maxPool2x2 appends the fused pool's flag. */
function convParams(info: Conv2dInfo, maxPool2x2: boolean): number[] {
  const { window: win } = info;
  return [
    info.N, info.C, info.H, info.W, info.M, info.OH, info.OW, info.KH, info.KW,
    win.strides[0]!, win.strides[1]!, win.pads[0]!, win.pads[1]!, win.pads[2]!, win.pads[3]!,
    win.dilations[0]!, win.dilations[1]!, info.groups, ...(maxPool2x2 ? [1] : []),
  ];
}

/** The kernel reads row-major inputs: views are gathered first (a no-op for the usual case). */
function convInputs(addon: NativeAddon, x: StridedView, w: StridedView, bias: StridedView | undefined, sync: RunMode) {
  return Promise.all([contiguousF32(addon, x, sync), contiguousF32(addon, w, sync), bias ? contiguousF32(addon, bias, sync) : null]);
}

export const conv2dKernel: CpuKernel<Conv2dAttrs, Conv2dInfo> = {
  accepts: (_info, inputs) => allFloat32(inputs),
  run(addon, info, [x, w, bias], [y], _attrs, sync) {
    const params = convParams(info, false);
    // relu rides in the native epilogue; gelu and sigmoid run in place right after.
    const after = info.activation === 'gelu' || info.activation === 'sigmoid' ? UNARY_CODE[info.activation] : undefined;
    const act = after === undefined ? ACTIVATION_CODE[info.activation as 'none' | 'relu'] : 0;
    return (async () => {
      const [xs, ws, bs] = await convInputs(addon, x!, w!, bias, sync);
      await addon.conv2d(params, xs, ws, bs, y as Float32Array, act, sync);
      if (after !== undefined) await addon.unary(after, y as Float32Array, 0, (y as Float32Array).length, y as Float32Array, sync);
    })();
  },
};

/** conv2d + 2x2 max pool in one native call (activation none or relu, applied before the pool). */
export const conv2dMaxPoolKernel: CpuKernel<Conv2dAttrs, Conv2dMaxPoolInfo> = {
  accepts: (_info, inputs) => allFloat32(inputs),
  run(addon, info, [x, w, bias], [y], _attrs, sync) {
    return (async () => {
      const [xs, ws, bs] = await convInputs(addon, x!, w!, bias, sync);
      await addon.conv2d(convParams(info, true), xs, ws, bs, y as Float32Array, ACTIVATION_CODE[info.activation as 'none' | 'relu'], sync);
    })();
  },
};
