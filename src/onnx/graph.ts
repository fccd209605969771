/**
 * lc.loadOnnx: an ONNX model as an lc.Graph, to compile, place and run like any other graph.
 * The model's nodes are mapped by the same table runOnnxModel uses (nodes.ts, with its fusions),
 * run once under a Tracer with symbolic inputs: every op that touches a graph input becomes a
 * graph node, and everything computed from constants alone is folded into graph constants.
 */
import { readFile } from 'node:fs/promises';
import { LeptonError, show } from '../errors.js';
import { Graph, type Value } from '../graph/builder.js';
import { Tracer } from '../runtime/trace.js';
import type { Storage } from '../storage.js';
import type { Tensor } from '../tensor.js';
import { decodeModel } from './proto.js';
import { planModel, releasePlan, runPlan, type OnnxLoadOptions } from './run.js';
import { dtypeFromOnnx } from './tensor.js';

/** Stand-in size for dynamic dims while tracing (not 1, which would look broadcastable). */
const PROBE = 97;

export async function loadOnnx(model: Uint8Array | ArrayBuffer | string, options: OnnxLoadOptions = {}): Promise<Graph> {
  const bytes = typeof model === 'string' ? await readFile(model) : model;
  const plan = planModel(decodeModel(bytes), options);
  const g = new Graph();
  const symbols = new Map<Storage, Value>();
  const constants = new Map<Tensor, Value>();
  // Each op on a symbolic value becomes a node as it is traced (its inputs are alive right then).
  const tracer = new Tracer((r) => {
    const attrs = { ...(r.attrs as Record<string, unknown>), device: undefined };
    const values = g.node(r.op, r.inputs.map((t) => t && valueOf(t)), attrs);
    r.outputs.forEach((t, i) => symbols.set(t.storage('loadOnnx'), values[i]!));
  });

  const feeds: Record<string, Tensor> = {};
  for (const f of plan.feeds) {
    if (!f.shape) throw new LeptonError('UNSUPPORTED_OP', `loadOnnx: graph input ${show(f.name)} has no declared shape; a graph needs its rank`);
    const dtype = dtypeFromOnnx(f.elemType ?? 1, `graph input ${show(f.name)}`);
    const dims = f.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
    const t = tracer.symbolic(dims.map((d) => (d === -1 ? PROBE : d)), dtype);
    feeds[f.name] = t;
    symbols.set(t.storage('loadOnnx'), g.input(f.name, dims, dtype));
  }

  function valueOf(t: Tensor): Value {
    const storage = t.storage('loadOnnx');
    if (tracer.isSymbolic(t)) {
      const v = symbols.get(storage);
      if (!v) throw new LeptonError('KERNEL_ERROR', 'loadOnnx: a traced value has no producer (internal error)');
      return v;
    }
    let v = constants.get(t);
    if (!v) constants.set(t, (v = g.constant(t)));
    return v;
  }

  try {
    const outputs = await tracer.run(() => runPlan(plan, feeds));
    for (const [name, t] of Object.entries(outputs)) g.output(name, valueOf(t));
    return g;
  } finally {
    // The graph holds its own handles on the constants it uses; the plan's copies can go.
    await releasePlan(plan);
  }
}
