/**
 * The graph IR: values (SSA) produced by nodes. A node is one OpDef application with its
 * attributes, an optional device pin, and the info shape inference gave at build time
 * (with -1 for dynamic dims).
 */
import type { DType } from '../dtype.js';
import type { OpDef } from '../ops/op.js';
import type { Tensor } from '../tensor.js';

export interface Value {
  readonly id: number;
  /** -1 marks a dynamic dim. */
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The node that produces it (absent for inputs and constants). */
  readonly producer?: Node;
  /** Which output of the producer. */
  readonly index: number;
  /** Graph input name. */
  readonly input?: string;
  /** Constant data (host tensor). */
  readonly constant?: Tensor;
}

export interface Node {
  readonly id: number;
  /** Unique within the graph: `${op}_${n}` unless the user named it. */
  readonly name: string;
  readonly op: OpDef<any, any>;
  /** Positional op inputs; undefined for an omitted optional input. */
  readonly inputs: readonly (Value | undefined)[];
  /** The op's attributes (without device and name). */
  readonly attrs: Readonly<Record<string, unknown>>;
  /** User pin: the device this node must run on. */
  readonly device?: string;
  readonly outputs: readonly Value[];
}

/** What the passes read: nodes in topological (insertion) order, and the named ends. */
export interface GraphIR {
  readonly nodes: readonly Node[];
  readonly inputs: ReadonlyMap<string, Value>;
  readonly outputs: ReadonlyMap<string, Value>;
}
