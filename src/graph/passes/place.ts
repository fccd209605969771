/**
 * Pass 2, placement (per set of input shapes). Walks the nodes in order and puts each on the
 * device that finishes it soonest: its estimated kernel time on that device (OpDef.cost against
 * the device's calibrated throughput) plus the time to move in inputs that live elsewhere.
 * Only selected, available, healthy devices that say they support the node are considered; a
 * pin wins; a later device in the preference order must beat an earlier one by PREFERENCE_MARGIN.
 * A node no selected device supports goes to the CPU; a view (reshape of a contiguous value, ...)
 * stays with its input.
 */
import type { Backend } from '../../backends/backend.js';
import { bytesPerElement } from '../../dtype.js';
import type { OpInfo } from '../../ops/op.js';
import { contiguousStrides, sizeOf } from '../../shape.js';
import { estimateSec, transferSec, type DeviceProfile } from '../../runtime/calibrate.js';
import type { TensorMeta } from '../../tensor.js';
import type { Value } from '../ir.js';
import type { PassNode } from './fuse.js';

/** A later device must be this much faster than an earlier one to be chosen over it. */
const PREFERENCE_MARGIN = 0.1;

export interface Target {
  readonly backend: Backend;
  readonly profile: DeviceProfile;
}

export interface PlacedNode {
  readonly node: PassNode;
  readonly info: OpInfo;
  readonly device: string;
  readonly reason: string;
  /** Estimated seconds on the chosen device, including input moves. */
  readonly estSec: number;
  /** The output is a view of input 0 (no kernel). */
  readonly view?: { shape: readonly number[]; strides: readonly number[]; offset: number };
  /** Set when the node runs on the CPU because no selected device could run it. */
  readonly fallback?: string;
}

/** What the pass knows about each value: shape, dtype, device, strides (views may not be contiguous). */
export interface ValueState extends TensorMeta {
  readonly device: string;
  readonly strides: readonly number[];
  readonly offset: number;
}

export function place(nodes: readonly PassNode[], shapes: ReadonlyMap<number, ValueState>, targets: readonly Target[], cpu: Target): { placed: PlacedNode[]; values: Map<number, ValueState> } {
  const values = new Map(shapes);
  const placed: PlacedNode[] = [];
  const where = (v: Value) => values.get(v.id)!;
  const byId = new Map([...targets, cpu].map((t) => [t.backend.id, t]));

  for (const node of nodes) {
    const metas = node.inputs.map((v) => v && where(v));
    const info = node.op.infer(metas, node.attrs) as OpInfo;
    const cost = node.op.cost(info);
    const record = (p: Omit<PlacedNode, 'node' | 'info'>) => {
      placed.push({ node, info, ...p });
      info.outputs.forEach((m, i) => {
        const v = p.view ?? { shape: m.shape, strides: contiguousStrides(m.shape), offset: 0 };
        values.set(node.outputs[i]!.id, { ...m, device: p.device, strides: v.strides, offset: v.offset });
      });
    };
    // A view needs no kernel: it stays on its input's device.
    const src = metas[0];
    const view = node.op.view && src ? node.op.view(info, { shape: src.shape, strides: src.strides, offset: src.offset }) : undefined;
    if (view && src && (!node.device || node.device === src.device)) {
      record({ device: src.device, reason: 'view of its input (no copy, no kernel)', estSec: 0, view });
      continue;
    }
    // Seconds to bring input i to device d: constants are resident everywhere after the first run.
    const moveIn = (d: Target) => node.inputs.reduce((s, v, i) => {
      if (!v || v.constant || where(v).device === d.backend.id) return s;
      const from = byId.get(where(v).device) ?? cpu;
      return s + transferSec(from.profile, d.profile, sizeOf(metas[i]!.shape) * bytesPerElement(metas[i]!.dtype));
    }, 0);
    const time = (d: Target) => estimateSec(d.profile, cost.flops, cost.bytes) + moveIn(d);
    const support = targets.map((t) => ({ t, s: t.backend.supports(node.op, info, metas) }));
    const able = support.filter((x) => x.s.ok).map((x) => x.t);

    if (node.device) {
      const pinned = support.find((x) => x.t.backend.id === node.device || x.t.backend.info().kind === node.device);
      if (pinned?.s.ok) {
        record({ device: pinned.t.backend.id, reason: `pinned to ${node.device}`, estSec: time(pinned.t) });
        continue;
      }
      const why = pinned ? (pinned.s as { reason: string }).reason : 'not among the selected, available devices';
      const reason = `pinned to ${node.device}, which cannot run it (${why}): runs on cpu`;
      record({ device: 'cpu', reason, estSec: time(cpu), fallback: reason });
      continue;
    }
    if (able.length === 0) {
      const why = support.map((x) => `${x.t.backend.id}: ${(x.s as { reason?: string }).reason}`).join('; ');
      const reason = `no selected device supports it (${why || 'no devices selected'}): runs on cpu`;
      record({ device: 'cpu', reason, estSec: time(cpu), fallback: reason });
      continue;
    }
    let best = able[0]!, bestSec = time(best);
    const estimates = [`${best.backend.id} ${ms(bestSec)}`];
    for (const d of able.slice(1)) {
      const sec = time(d);
      estimates.push(`${d.backend.id} ${ms(sec)}`);
      if (sec < bestSec * (1 - PREFERENCE_MARGIN)) {
        best = d;
        bestSec = sec;
      }
    }
    const reason = able.length === 1
      ? `only capable device${support.length > 1 ? ` (${support.filter((x) => !x.s.ok).map((x) => `${x.t.backend.id}: ${(x.s as { reason: string }).reason}`).join('; ')})` : ''}`
      : `fastest estimate incl. transfers (${estimates.join(', ')})`;
    record({ device: best.backend.id, reason, estSec: bestSec });
  }
  return { placed, values };
}

function ms(sec: number): string {
  return `${(sec * 1000).toPrecision(3)} ms`;
}
