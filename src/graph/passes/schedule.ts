/**
 * Pass 3, schedule: turns placed nodes into steps, with an explicit transfer step wherever a
 * value is read on a device other than its own (one per value and device). Constants get a
 * resident copy per device instead (uploaded once per plan, not per run).
 */
import { bytesPerElement, type DType } from '../../dtype.js';
import type { OpInfo } from '../../ops/op.js';
import { sizeOf } from '../../shape.js';
import type { Value } from '../ir.js';
import type { PassNode } from './fuse.js';
import type { PlacedNode, ValueState } from './place.js';

export interface PlanValue {
  readonly index: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly strides: readonly number[];
  readonly offset: number;
  readonly device: string;
  readonly bytes: number;
  /** Where the data comes from. */
  readonly kind: 'input' | 'constant' | 'step';
  /** The graph value it holds (a transfer's copy holds the same graph value). */
  readonly source: Value;
  /** For a view: the value whose storage it shares. */
  readonly aliasOf?: number;
  /** Named graph outputs that are this value. */
  outputs: string[];
  /** Producing step (kind 'step'). */
  producer?: number;
  /** Steps that read it. */
  readers: number[];
  /** Memory-plan slot on its device (absent: allocated per run and released after its last read). */
  slot?: number;
}

export interface PlanStep {
  readonly index: number;
  readonly kind: 'op' | 'view' | 'transfer';
  /** Node name (a transfer: `${value}->${device}`). */
  readonly name: string;
  readonly device: string;
  readonly node?: PassNode;
  readonly info?: OpInfo;
  readonly view?: PlacedNode['view'];
  readonly inputs: readonly (number | undefined)[];
  readonly outputs: readonly number[];
  /** Steps that must finish first: producers of inputs, and (memory plan) the readers of a reused slot. */
  readonly deps: Set<number>;
}

export function schedule(placed: readonly PlacedNode[], states: ReadonlyMap<number, ValueState>, inputs: ReadonlyMap<string, Value>,
  outputs: ReadonlyMap<string, Value>): { steps: PlanStep[]; values: PlanValue[]; inputIndex: Map<string, number>; outputIndex: Map<string, number> } {
  const steps: PlanStep[] = [];
  const values: PlanValue[] = [];
  const home = new Map<number, number>(); // graph value id -> plan value (on its own device)
  const copies = new Map<string, number>(); // `${id}@${device}` -> plan value

  const addValue = (source: Value, s: ValueState, kind: PlanValue['kind'], device: string, extra: Partial<PlanValue> = {}) => {
    const v: PlanValue = {
      index: values.length, shape: s.shape, dtype: s.dtype, strides: s.strides, offset: s.offset, device,
      bytes: sizeOf(s.shape) * bytesPerElement(s.dtype), kind, source, outputs: [], readers: [], ...extra,
    };
    values.push(v);
    return v.index;
  };
  const inputIndex = new Map<string, number>();
  for (const [name, v] of inputs) {
    const i = addValue(v, states.get(v.id)!, 'input', 'cpu');
    home.set(v.id, i);
    inputIndex.set(name, i);
  }
  // The plan value holding graph value `v` on `device`: its home, a resident constant, or a transfer's output.
  const on = (v: Value, device: string): number => {
    if (v.constant) {
      const key = `${v.id}@${device}`;
      if (!copies.has(key)) copies.set(key, addValue(v, { ...states.get(v.id)!, device }, 'constant', device));
      return copies.get(key)!;
    }
    const h = home.get(v.id)!;
    if (values[h]!.device === device) return h;
    const key = `${v.id}@${device}`;
    if (!copies.has(key)) {
      const src = values[h]!;
      const out = addValue(v, { ...states.get(v.id)!, device, strides: contiguous(src.shape), offset: 0 }, 'step', device, { producer: steps.length });
      steps.push({ index: steps.length, kind: 'transfer', name: `${nameOf(v)}->${device}`, device, inputs: [h], outputs: [out], deps: new Set() });
      copies.set(key, out);
    }
    return copies.get(key)!;
  };

  for (const p of placed) {
    const ins = p.node.inputs.map((v) => v && on(v, p.device));
    const index = steps.length;
    const outs = p.node.outputs.map((v) => {
      const s = states.get(v.id)!;
      const i = addValue(v, s, 'step', p.device, { producer: index, ...(p.view ? { aliasOf: ins[0]! } : {}) });
      home.set(v.id, i);
      return i;
    });
    steps.push({ index, kind: p.view ? 'view' : 'op', name: p.node.name, device: p.device, node: p.node, info: p.info, view: p.view, inputs: ins, outputs: outs, deps: new Set() });
  }
  const outputIndex = new Map<string, number>();
  for (const [name, v] of outputs) {
    const i = v.constant ? on(v, 'cpu') : home.get(v.id)!;
    values[i]!.outputs.push(name);
    outputIndex.set(name, i);
  }
  // Readers and producer dependencies.
  for (const s of steps) {
    for (const i of s.inputs) {
      if (i === undefined) continue;
      values[i]!.readers.push(s.index);
      const p = values[i]!.producer;
      if (p !== undefined) s.deps.add(p);
    }
  }
  return { steps, values, inputIndex, outputIndex };
}

function contiguous(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i]!;
  }
  return out;
}

function nameOf(v: Value): string {
  if (v.input) return v.input;
  if (v.producer) return v.producer.outputs.length > 1 ? `${v.producer.name}:${v.index}` : v.producer.name;
  return `value_${v.id}`;
}
