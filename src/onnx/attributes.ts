/** Typed, validated access to a node's ONNX attributes. Wrong types are BAD_MODEL errors naming node and attribute. */
import { LeptonError } from '../errors.js';
import type { OnnxAttribute, OnnxNode, OnnxTensorProto } from './proto.js';
import { ONNX_ATTRIBUTE_TYPE as T } from './schema.js';

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(T).map(([k, v]) => [v, k]));

export class NodeAttributes {
  private readonly byName = new Map<string, OnnxAttribute>();

  constructor(readonly node: OnnxNode) {
    for (const a of node.attributes) {
      if (this.byName.has(a.name)) throw this.bad(`attribute ${JSON.stringify(a.name)} is given twice`);
      if (a.refAttrName) throw this.bad(`attribute ${JSON.stringify(a.name)} refers to a function attribute (${JSON.stringify(a.refAttrName)}) outside a function`);
      this.byName.set(a.name, a);
    }
  }

  /** Attribute names present on the node. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private bad(message: string): LeptonError {
    return new LeptonError('BAD_MODEL', `onnx: node ${describeNode(this.node)}: ${message}`);
  }

  private get(name: string, type: number): OnnxAttribute | undefined {
    const a = this.byName.get(name);
    if (a && a.type !== type) throw this.bad(`attribute ${JSON.stringify(name)} must be ${TYPE_NAMES[type]}, got ${TYPE_NAMES[a.type] ?? `type ${a.type}`}`);
    return a;
  }

  private safe(name: string, v: bigint): number {
    if (v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.bad(`attribute ${JSON.stringify(name)} value ${v} is out of range`);
    return Number(v);
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const a = this.get(name, T.INT);
    return a ? this.safe(name, a.i) : fallback;
  }

  ints(name: string): number[] | undefined {
    const a = this.get(name, T.INTS);
    return a ? a.ints.map((v) => this.safe(name, v)) : undefined;
  }

  float(name: string, fallback: number): number;
  float(name: string): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    const a = this.get(name, T.FLOAT);
    return a ? a.f : fallback;
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name, T.FLOATS);
    return a ? [...a.floats] : undefined;
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    const a = this.get(name, T.STRING);
    return a ? new TextDecoder().decode(a.s) : fallback;
  }

  tensor(name: string): OnnxTensorProto | undefined {
    const a = this.get(name, T.TENSOR);
    if (a && !a.t) throw this.bad(`attribute ${JSON.stringify(name)} holds no tensor`);
    return a?.t;
  }

  /** The attribute's declared type (or undefined when absent). */
  typeOf(name: string): number | undefined {
    return this.byName.get(name)?.type;
  }
}

export function describeNode(node: OnnxNode): string {
  return `${node.name ? JSON.stringify(node.name) : `(unnamed, output ${JSON.stringify(node.output[0] ?? '')})`} (${node.domain ? `${node.domain}.` : ''}${node.opType})`;
}
