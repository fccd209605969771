/**
 * Pass 1, fusion (shape-independent, runs once per compile). Rewrites, each only when the
 * intermediate value has one consumer and is not a graph output:
 *   a. batchNorm(conv2d(x, W, b?)) with constant W, b and batchNorm parameters -> conv2d(x, W', b')
 *   b. add(conv2d(x, W), per-channel constant)  -> conv2d(x, W, bias)
 *      add(matmul(a, b), row constant) (2-D)   -> gemm(a, b, c)
 *      add(gemm(a, b), row constant) (no c, beta 1) -> gemm(a, b, c)
 *   c. relu(conv2d | matmul | gemm)              -> the same op with activation 'relu'
 *      gelu (exact) or sigmoid of a conv2d        -> conv2d with activation 'gelu' / 'sigmoid'
 *   d. maxPool2d 2x2 / stride 2, no padding, of a conv2d (activation none or relu), in plans that
 *      run on the CPU alone                      -> conv2dMaxPool (the CPU pools in the conv's
 *      epilogue; no other device has that kernel, so other plans keep the two nodes)
 */
import { LeptonError } from '../../errors.js';
import { conv2d } from '../../ops/conv2d.js';
import { conv2dMaxPool } from '../../ops/conv2dMaxPool.js';
import { gemm } from '../../ops/gemm.js';
import type { OpDef } from '../../ops/op.js';
import { tensor } from '../../tensor.js';
import type { GraphIR, Value } from '../ir.js';

/** A node as the passes see it; `fused` lists the source nodes folded into it. */
export interface PassNode {
  readonly name: string;
  readonly op: OpDef<any, any>;
  readonly inputs: readonly (Value | undefined)[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly device?: string;
  readonly outputs: readonly Value[];
  readonly fused: readonly string[];
}

export interface FusedGraph {
  readonly nodes: readonly PassNode[];
  readonly inputs: ReadonlyMap<string, Value>;
  readonly outputs: ReadonlyMap<string, Value>;
}

let nextId = 1_000_000_000; // ids for constants the pass creates (the builder counts from 0)
function constantValue(t: ReturnType<typeof tensor>): Value {
  return Object.freeze({ id: nextId++, shape: t.shape, dtype: t.dtype, index: 0, constant: t });
}

const ACTIVATED = ['conv2d', 'matmul', 'gemm'];
/** Folding reads constants on the host as numbers: float16 data (stored as bits) is left alone. */
const HOST_FLOAT: readonly string[] = ['float32', 'float64'];

export interface FuseOptions {
  /** Every node will run on the CPU: CPU-only fused kernels may be used. */
  readonly cpuOnly?: boolean;
}

/** Fuses g's nodes; g may be a fused graph already (then only what its options add is fused, on top). */
export async function fuse(g: GraphIR | FusedGraph, options: FuseOptions = {}): Promise<FusedGraph> {
  let nodes: PassNode[] = g.nodes.map((n) => ({ name: n.name, op: n.op, inputs: n.inputs, attrs: n.attrs, device: n.device, outputs: n.outputs, fused: 'fused' in n ? n.fused : [] }));
  const outputs = new Set([...g.outputs.values()].map((v) => v.id));

  // The producer of a value, when exactly one node reads it and it is not a graph output.
  const soleProducer = (v: Value | undefined): PassNode | undefined => {
    if (!v || outputs.has(v.id)) return undefined;
    const readers = nodes.filter((n) => n.inputs.some((i) => i?.id === v.id)).length;
    if (readers !== 1) return undefined;
    return nodes.find((n) => n.outputs.length === 1 && n.outputs[0]!.id === v.id);
  };
  // Same device (or no pin) on both sides: fusion never overrides a user pin.
  const samePin = (a: PassNode, b: PassNode) => a.device === b.device || b.device === undefined;
  const replace = (consumer: PassNode, producer: PassNode, merged: Omit<PassNode, 'outputs' | 'fused' | 'name'>) => {
    const node: PassNode = { ...merged, name: producer.name, outputs: consumer.outputs, fused: [...producer.fused, consumer.name, ...consumer.fused] };
    nodes = nodes.filter((n) => n !== consumer).map((n) => (n === producer ? node : n));
  };

  for (let changed = true; changed;) {
    changed = false;
    for (const n of nodes) {
      // a. batchNorm folded into a conv with constant weights
      if (n.op.name === 'batchNorm') {
        const p = soleProducer(n.inputs[0]);
        if (p?.op === conv2d && samePin(p, n) && HOST_FLOAT.includes(n.outputs[0]!.dtype) && p.inputs[1]?.constant && (!p.inputs[2] || p.inputs[2].constant) && n.inputs.slice(1).every((v) => v?.constant)) {
          const [w, b] = await foldBatchNorm(p.inputs[1], p.inputs[2], n.inputs.slice(1) as Value[], Number(n.attrs.epsilon ?? 1e-5));
          replace(n, p, { op: conv2d, inputs: [p.inputs[0], w, b], attrs: p.attrs, device: p.device });
          changed = true;
          break;
        }
      }
      // b. bias add into conv2d / matmul / gemm
      if (n.op.name === 'add') {
        for (const side of [0, 1]) {
          const p = soleProducer(n.inputs[side]);
          const c = n.inputs[1 - side];
          if (!p || !c?.constant || !samePin(p, n) || (p.attrs.activation ?? 'none') !== 'none') continue;
          const out = n.outputs[0]!.shape;
          if (p.op === conv2d && !p.inputs[2] && c.shape.length <= 4 && HOST_FLOAT.includes(c.dtype)) {
            const M = p.outputs[0]!.shape[1]!;
            const dims = c.shape.slice(-3);
            if (M < 0 || dims.length !== 3 || dims[0] !== M || dims[1] !== 1 || dims[2] !== 1 || c.shape.slice(0, -3).some((d) => d !== 1)) continue;
            const bias = constantValue(tensor(await c.constant.data(), [M], { dtype: c.dtype }));
            replace(n, p, { op: conv2d, inputs: [p.inputs[0], p.inputs[1], bias], attrs: p.attrs, device: p.device });
          } else if ((p.op.name === 'matmul' || (p.op === gemm && !p.inputs[2] && (p.attrs.beta ?? 1) === 1)) && out.length === 2 &&
            p.inputs[0]!.shape.length === 2 && p.inputs[1]!.shape.length === 2 && c.shape.length <= 2 && c.shape.slice(0, -1).every((d) => d === 1) &&
            (c.shape.length === 0 || c.shape[c.shape.length - 1] === out[1] || c.shape[c.shape.length - 1] === 1)) {
            replace(n, p, { op: gemm, inputs: [p.inputs[0], p.inputs[1], c], attrs: p.op === gemm ? p.attrs : pick(p.attrs, ['precision']), device: p.device });
          } else continue;
          changed = true;
          break;
        }
        if (changed) break;
      }
      // d. a 2x2 / stride-2 max pool into the conv before it (CPU plans)
      if (options.cpuOnly && n.op.name === 'maxPool2d' && isPool2x2(n.attrs) && n.outputs.length === 1 && n.outputs[0]!.dtype === 'float32') {
        const p = soleProducer(n.inputs[0]);
        const act = p?.attrs.activation ?? 'none';
        if (p?.op === conv2d && samePin(p, n) && (p.device ?? 'cpu') === 'cpu' && (act === 'none' || act === 'relu')) {
          replace(n, p, { op: conv2dMaxPool, inputs: p.inputs, attrs: p.attrs, device: p.device });
          changed = true;
          break;
        }
      }
      // c. relu into its producer; gelu and sigmoid into a conv2d
      const act = n.op.name === 'relu' ? 'relu'
        : (n.op.name === 'gelu' && (n.attrs.approximate ?? 'none') === 'none') || n.op.name === 'sigmoid' ? n.op.name : undefined;
      if (act) {
        const p = soleProducer(n.inputs[0]);
        const takes = act === 'relu' ? ACTIVATED.includes(p?.op.name ?? '') : p?.op === conv2d;
        if (p && takes && samePin(p, n) && (p.attrs.activation ?? 'none') === 'none') {
          replace(n, p, { op: p.op, inputs: p.inputs, attrs: { ...p.attrs, activation: act }, device: p.device });
          changed = true;
          break;
        }
      }
    }
  }
  return { nodes, inputs: g.inputs, outputs: g.outputs };
}

/** maxPool2d attributes of a plain 2x2 window at stride 2: no padding or dilation, floor, no indices. */
function isPool2x2(a: Readonly<Record<string, unknown>>): boolean {
  const is = (v: unknown, want: readonly number[]) => Array.isArray(v) && v.length === want.length && v.every((x, i) => x === want[i]);
  return is(a.kernelShape, [2, 2]) && is(a.strides, [2, 2]) &&
    (a.pads === undefined || (Array.isArray(a.pads) && a.pads.every((x) => x === 0))) &&
    (a.dilations === undefined || is(a.dilations, [1, 1])) && !a.ceilMode && !a.returnIndices &&
    (a.autoPad === undefined || a.autoPad === 'NOTSET' || a.autoPad === 'VALID');
}

/** The listed attributes that are set. */
function pick(attrs: Readonly<Record<string, unknown>>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => attrs[k] !== undefined).map((k) => [k, attrs[k]]));
}

/** W'[m] = W[m] * s[m], b'[m] = (b[m] - mean[m]) * s[m] + beta[m], with s = scale / sqrt(var + eps). */
async function foldBatchNorm(w: Value, b: Value | undefined, [scale, beta, mean, variance]: Value[], epsilon: number): Promise<[Value, Value]> {
  const M = w.shape[0]!;
  const per = w.shape.slice(1).reduce((x, y) => x * y, 1);
  const read = async (v: Value | undefined) => (v ? Float64Array.from((await v.constant!.data()) as Float32Array) : new Float64Array(M));
  const [W, B, S, Beta, Mean, Var] = await Promise.all([read(w), read(b), read(scale), read(beta), read(mean), read(variance)]);
  if (S.length !== M) throw new LeptonError('SHAPE_MISMATCH', `fusion: batchNorm scale must have ${M} channels (the conv's output channels), got ${S.length}`);
  const w2 = new Float64Array(W.length), b2 = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    const s = S[m]! / Math.sqrt(Var[m]! + epsilon);
    for (let k = 0; k < per; k++) w2[m * per + k] = W[m * per + k]! * s;
    b2[m] = (B[m]! - Mean[m]!) * s + Beta[m]!;
  }
  return [constantValue(tensor(w2, [...w.shape], { dtype: w.dtype })), constantValue(tensor(b2, [M], { dtype: w.dtype }))];
}
