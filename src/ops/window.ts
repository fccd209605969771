import { fail, show } from '../errors.js';
import { intList, oneOf } from './attrs.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
export const AUTO_PADS: readonly AutoPad[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** Sliding-window geometry shared by conv and pooling (ONNX semantics), for any number of spatial dims. */
export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Begin pads per spatial dim, then end pads (ONNX order). */
  readonly pads: readonly number[];
  readonly outSpatial: readonly number[];
}

export interface WindowAttrs {
  strides?: readonly number[];
  pads?: readonly number[];
  dilations?: readonly number[];
  autoPad?: AutoPad;
  ceilMode?: boolean;
}

/**
 * Resolves strides/pads/dilations/autoPad (and ceilMode for pools) into explicit pads and output size.
 * SAME_*: output = ceil(in / stride), the total pad split evenly with the odd one at the end (UPPER)
 * or the beginning (LOWER). ceilMode: a last window may start inside the right pad but not beyond it.
 */
export function resolveWindow(op: string, spatial: readonly number[], kernel: readonly number[], attrs: WindowAttrs, ceilMode = false): Window {
  const n = spatial.length;
  const strides = intList(op, 'strides', attrs.strides, n, 1, 1);
  const dilations = intList(op, 'dilations', attrs.dilations, n, 1, 1);
  const autoPad = oneOf(op, 'autoPad', attrs.autoPad, AUTO_PADS, 'NOTSET');
  let pads = intList(op, 'pads', attrs.pads, 2 * n, 0, 0);
  if (autoPad !== 'NOTSET' && attrs.pads !== undefined && attrs.pads.some((p) => p !== 0)) {
    fail('BAD_ATTRIBUTE', op, 'pads', `absent when autoPad is ${autoPad}`, attrs.pads);
  }
  const outSpatial: number[] = [];
  if (autoPad === 'VALID') pads = new Array<number>(2 * n).fill(0);
  for (let i = 0; i < n; i++) {
    const span = dilations[i]! * (kernel[i]! - 1) + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const out = Math.ceil(spatial[i]! / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + span - spatial[i]!);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i]!;
    }
    const padded = spatial[i]! + pads[i]! + pads[i + n]!;
    if (padded < span) {
      fail('SHAPE_MISMATCH', op, `input spatial dim ${i}`, `at least the dilated kernel size ${span} after padding`, `${spatial[i]} (+pads ${pads[i]},${pads[i + n]})`);
    }
    let out = ceilMode ? Math.ceil((padded - span) / strides[i]!) + 1 : Math.floor((padded - span) / strides[i]!) + 1;
    // A window that would start in the end padding only is dropped (ONNX/PyTorch rule).
    if (ceilMode && (out - 1) * strides[i]! >= spatial[i]! + pads[i]!) out--;
    outSpatial.push(out);
  }
  return Object.freeze({ kernel: [...kernel], strides, dilations, pads, outSpatial });
}

export function describeWindow(w: Window): string {
  return `kernel ${show(w.kernel)} strides ${show(w.strides)} pads ${show(w.pads)} dilations ${show(w.dilations)}`;
}
