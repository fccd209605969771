import type { Conv2dAttrs, Conv2dInfo } from '../../../ops/conv2d.js';
import { UNARY_CODE } from '../../../ops/unary.js';
import { ACTIVATION_CODE, allFloat32, contiguousF32, type CpuKernel } from './kernel.js';

export const conv2dKernel: CpuKernel<Conv2dAttrs, Conv2dInfo> = {
  accepts: (_info, inputs) => allFloat32(inputs),
  run(addon, info, [x, w, bias], [y], _attrs, sync) {
    const { window: win } = info;
    const params = [
      info.N, info.C, info.H, info.W, info.M, info.OH, info.OW, info.KH, info.KW,
      win.strides[0]!, win.strides[1]!, win.pads[0]!, win.pads[1]!, win.pads[2]!, win.pads[3]!,
      win.dilations[0]!, win.dilations[1]!, info.groups,
    ];
    // relu rides in the native epilogue; gelu and sigmoid run in place right after.
    const after = info.activation === 'gelu' || info.activation === 'sigmoid' ? UNARY_CODE[info.activation] : undefined;
    const act = after === undefined ? ACTIVATION_CODE[info.activation as 'none' | 'relu'] : 0;
    // The kernel reads row-major inputs: views are gathered first (a no-op for the usual case).
    return (async () => {
      const [xs, ws, bs] = await Promise.all([
        contiguousF32(addon, x!, sync), contiguousF32(addon, w!, sync), bias ? contiguousF32(addon, bias, sync) : null,
      ]);
      await addon.conv2d(params, xs, ws, bs, y as Float32Array, act, sync);
      if (after !== undefined) await addon.unary(after, y as Float32Array, 0, (y as Float32Array).length, y as Float32Array, sync);
    })();
  },
};
