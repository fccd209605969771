/**
 * Runs one ONNX model eagerly: decode, check every node, then execute the nodes in
 * topological order with the eager ops. The graph runtime (lc.loadOnnx) will reuse
 * decodeModel, planModel and the op table in nodes.ts.
 */
import { readFile } from 'node:fs/promises';
import { LeptonError, show } from '../errors.js';
import { deviceFor } from '../runtime/devices.js';
import { Tensor } from '../tensor.js';
import { describeNode, NodeAttributes } from './attributes.js';
import { ONNX_OPS, unsupportedReason, type NodeContext } from './nodes.js';
import { decodeModel, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensorProto, type OnnxValueInfo } from './proto.js';
import { dtypeFromOnnx, hostTensorFromProto, tensorFromProto, type HostTensor } from './tensor.js';

export interface OnnxRunOptions {
  /** Device the nodes run on ('cpu', 'webgpu', 'cuda:0', ...); an op the device cannot run falls back to the CPU. */
  device?: string;
}

/** A checked model: nodes in execution order and the default-domain opset. */
export interface OnnxPlan {
  readonly model: OnnxModel;
  readonly opset: number;
  /** Nodes in a topological order. */
  readonly order: readonly OnnxNode[];
  /** Graph inputs the caller must feed (those without an initializer). */
  readonly feeds: readonly OnnxValueInfo[];
  readonly initializers: ReadonlyMap<string, OnnxTensorProto>;
  /** Initializers also listed as graph inputs (as IR <= 3 lists all): a caller may feed a value for them. */
  readonly overridable: ReadonlySet<string>;
}

const DEFAULT_DOMAINS = ['', 'ai.onnx'];

/** The default-domain opset version the model imports. */
export function defaultOpset(model: OnnxModel): number {
  const entries = model.opsetImport.filter((o) => DEFAULT_DOMAINS.includes(o.domain));
  if (entries.length === 0) {
    // IR version < 3 models predate opset_import and mean opset 1.
    if (model.irVersion < 3) return 1;
    throw new LeptonError('BAD_MODEL', 'onnx: model imports no default-domain opset (opset_import has no entry for domain "")');
  }
  const v = entries[0]!.version;
  if (!Number.isSafeInteger(v) || v < 1) throw new LeptonError('BAD_MODEL', `onnx: default-domain opset version must be a positive integer, got ${v}`);
  return v;
}

function staticRanks(graph: OnnxGraph): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const v of [...graph.inputs, ...graph.valueInfo, ...graph.outputs]) if (v.shape) ranks.set(v.name, v.shape.length);
  for (const t of graph.initializers) ranks.set(t.name, t.dims.length);
  return ranks;
}

/**
 * Checks a decoded model and orders its nodes. Throws BAD_MODEL for structural faults (a value
 * used but never produced, a value produced twice, a cycle) and one UNSUPPORTED_OP naming every
 * node that cannot run.
 */
export function planModel(model: OnnxModel): OnnxPlan {
  const graph = model.graph;
  const opset = defaultOpset(model);
  if (graph.sparseInitializerCount > 0) throw new LeptonError('BAD_MODEL', `onnx: graph has ${graph.sparseInitializerCount} sparse initializer(s); sparse tensors are not supported`);

  const initializers = new Map<string, OnnxTensorProto>();
  for (const t of graph.initializers) {
    if (!t.name) throw new LeptonError('BAD_MODEL', 'onnx: an initializer has no name');
    if (initializers.has(t.name)) throw new LeptonError('BAD_MODEL', `onnx: initializer ${show(t.name)} is defined twice`);
    initializers.set(t.name, t);
  }
  const feeds: OnnxValueInfo[] = [];
  const overridable = new Set<string>();
  const available = new Set<string>(initializers.keys());
  for (const input of graph.inputs) {
    if (!input.name) throw new LeptonError('BAD_MODEL', 'onnx: a graph input has no name');
    if (initializers.has(input.name)) {
      overridable.add(input.name); // IR <= 3 lists every initializer as an input too: a constant unless fed
      continue;
    }
    if (available.has(input.name)) throw new LeptonError('BAD_MODEL', `onnx: graph input ${show(input.name)} is listed twice`);
    if (input.kind !== 'tensor') throw new LeptonError('UNSUPPORTED_OP', `onnx: graph input ${show(input.name)} is a ${input.kind} value; only tensors are supported`);
    available.add(input.name);
    feeds.push(input);
  }

  // Kahn's algorithm over value names. Producers are unique (SSA); '' means an omitted optional input.
  const producer = new Map<string, number>();
  graph.nodes.forEach((node, i) => {
    for (const out of node.output) {
      if (out === '') continue;
      if (producer.has(out) || available.has(out)) throw new LeptonError('BAD_MODEL', `onnx: value ${show(out)} is produced twice (node ${describeNode(node)})`);
      producer.set(out, i);
    }
  });
  const waiting = graph.nodes.map((node) => new Set(node.input.filter((n) => n !== '' && !available.has(n))));
  const consumers = new Map<string, number[]>();
  graph.nodes.forEach((node, i) => {
    for (const name of waiting[i]!) {
      if (!producer.has(name)) throw new LeptonError('BAD_MODEL', `onnx: node ${describeNode(node)} reads ${show(name)}, which no node, input or initializer provides`);
      const list = consumers.get(name) ?? [];
      list.push(i);
      consumers.set(name, list);
    }
  });
  const ready = graph.nodes.map((_, i) => i).filter((i) => waiting[i]!.size === 0);
  const order: OnnxNode[] = [];
  while (ready.length) {
    const i = ready.shift()!;
    const node = graph.nodes[i]!;
    order.push(node);
    for (const out of node.output) {
      for (const c of consumers.get(out) ?? []) {
        const w = waiting[c]!;
        if (w.delete(out) && w.size === 0) ready.push(c);
      }
    }
  }
  if (order.length !== graph.nodes.length) {
    const stuck = graph.nodes.filter((_, i) => waiting[i]!.size > 0).slice(0, 5).map(describeNode);
    throw new LeptonError('BAD_MODEL', `onnx: the graph has a cycle (through ${stuck.join(', ')})`);
  }
  for (const out of graph.outputs) {
    if (!out.name) throw new LeptonError('BAD_MODEL', 'onnx: a graph output has no name');
    if (!producer.has(out.name) && !available.has(out.name)) throw new LeptonError('BAD_MODEL', `onnx: graph output ${show(out.name)} is never produced`);
  }

  const ranks = staticRanks(graph);
  const problems: string[] = [];
  for (const node of order) {
    const reason = unsupportedReason(node, opset, node.input.map((n) => ranks.get(n)));
    if (reason) problems.push(`${describeNode(node)}: ${reason}`);
  }
  if (problems.length) {
    throw new LeptonError('UNSUPPORTED_OP', `onnx: ${problems.length} node(s) cannot run (opset ${opset}):\n  ${problems.join('\n  ')}`);
  }
  return { model, opset, order, feeds, initializers, overridable };
}

/** Checks a fed tensor against the graph input's declared element type and static dimensions. */
function checkFeed(info: OnnxValueInfo, t: unknown): Tensor {
  const what = `runOnnxModel: input ${show(info.name)}`;
  if (!(t instanceof Tensor)) throw new LeptonError('BAD_ARGUMENT', `${what} must be a Tensor, got ${show(t)}`);
  if (info.elemType !== undefined && info.elemType !== 0) {
    const dtype = dtypeFromOnnx(info.elemType, `graph input ${show(info.name)}`);
    if (t.dtype !== dtype) throw new LeptonError('DTYPE_UNSUPPORTED', `${what} dtype must be ${dtype}, got ${t.dtype}`);
  }
  if (info.shape) {
    const ok = info.shape.length === t.rank && info.shape.every((d, i) => typeof d !== 'number' || d === t.shape[i]);
    if (!ok) {
      const want = `[${info.shape.map((d) => (typeof d === 'number' ? d : d ?? '?')).join(',')}]`;
      throw new LeptonError('SHAPE_MISMATCH', `${what} shape must be ${want}, got ${show(t.shape)}`);
    }
  }
  return t;
}

/** Re-raises a node's failure with the node named, keeping the code (anything unexpected becomes KERNEL_ERROR). */
function nodeError(node: OnnxNode, err: unknown): LeptonError {
  const where = `onnx: node ${describeNode(node)}`;
  if (err instanceof LeptonError) {
    return err.message.startsWith(where) ? err : new LeptonError(err.code, `${where}: ${err.message}`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new LeptonError('KERNEL_ERROR', `${where}: ${message}`, { cause: err });
}

async function settle(t: Tensor): Promise<LeptonError | undefined> {
  if (t.disposed) return undefined;
  const s = t.storage('runOnnxModel');
  try {
    await s.ready;
  } catch {
    // recorded on the storage
  }
  return s.error;
}

async function hostCopy(t: Tensor): Promise<HostTensor> {
  return { name: '', dtype: t.dtype, shape: [...t.shape], data: await t.data() };
}

/**
 * Runs an ONNX model on `inputs` (keyed by graph input name) and returns its outputs keyed by
 * graph output name, computed and ready to read. Initializers are constants; one that is also
 * listed as a graph input (as IR <= 3 lists them all) takes a fed value instead when the caller
 * gives one. Inputs are never disposed.
 */
export async function runOnnxModel(
  model: Uint8Array | ArrayBuffer | string,
  inputs: Readonly<Record<string, Tensor>>,
  options: OnnxRunOptions = {},
): Promise<Record<string, Tensor>> {
  const bytes = typeof model === 'string' ? await readFile(model) : model;
  const plan = planModel(decodeModel(bytes));
  return runPlan(plan, inputs, options);
}

/** Executes a checked plan (see runOnnxModel). */
export async function runPlan(plan: OnnxPlan, inputs: Readonly<Record<string, Tensor>>, options: OnnxRunOptions = {}): Promise<Record<string, Tensor>> {
  if (inputs === null || typeof inputs !== 'object') throw new LeptonError('BAD_ARGUMENT', `runOnnxModel: inputs must be an object of tensors keyed by input name, got ${show(inputs)}`);
  const device = options.device === undefined ? undefined : deviceFor(options.device, 'runOnnxModel').id;
  const graph = plan.model.graph;
  const values = new Map<string, Tensor>();
  const owned = new Set<Tensor>(); // every tensor made here; all but the returned ones are disposed at the end
  const own = (t: Tensor): Tensor => {
    owned.add(t);
    return t;
  };
  const place = (t: Tensor): Tensor => (device === undefined || t.device === device ? t : own(t.to(device)));

  const known = new Set([...plan.feeds.map((f) => f.name), ...plan.overridable]);
  for (const name of Object.keys(inputs)) {
    if (!known.has(name)) {
      throw new LeptonError('BAD_ARGUMENT', `runOnnxModel: input ${show(name)} must be one of the graph inputs (${plan.feeds.map((f) => f.name).join(', ')}), got an unknown name`);
    }
  }
  for (const info of plan.feeds) {
    if (!(info.name in inputs)) throw new LeptonError('BAD_ARGUMENT', `runOnnxModel: input ${show(info.name)} must be given (graph inputs: ${plan.feeds.map((f) => f.name).join(', ')})`);
    values.set(info.name, checkFeed(info, inputs[info.name]));
  }
  const userInputs = new Set(values.values());

  try {
    for (const [name, proto] of plan.initializers) {
      if (plan.overridable.has(name) && name in inputs) values.set(name, checkFeed(plan.model.graph.inputs.find((i) => i.name === name)!, inputs[name]));
      else values.set(name, own(tensorFromProto(proto, device)));
    }

    for (const node of plan.order) {
      const op = ONNX_OPS[node.opType]!;
      try {
        const args = node.input.map((n) => (n === '' ? undefined : place(values.get(n)!)));
        const hostIdx = op.hostInputs?.(plan.opset) ?? [];
        const hosts: (HostTensor | undefined)[] = [];
        for (const i of hostIdx) {
          const t = args[i];
          if (t) hosts[i] = await hostCopy(t);
        }
        const ctx: NodeContext = { opset: plan.opset, node, values: hosts, temp: own };
        const outs = op.run(args, new NodeAttributes(node), ctx);
        outs.forEach(own);
        node.output.forEach((name, i) => {
          if (name === '') return;
          const t = outs[i];
          if (!t) throw new LeptonError('UNSUPPORTED_OP', `output ${i} (${show(name)}) is not produced`);
          values.set(name, t);
        });
      } catch (err) {
        throw nodeError(node, err);
      }
    }

    const result: Record<string, Tensor> = {};
    for (const out of graph.outputs) {
      let t = values.get(out.name)!;
      // Never hand back the caller's own tensor, or one we dispose below: a new reference to the storage.
      if (userInputs.has(t) || !owned.has(t) || Object.values(result).includes(t)) t = own(t.to(t.device));
      result[out.name] = t;
    }
    const returned = new Set(Object.values(result));
    // Wait for every queued kernel, so failures surface here and temporaries can be released safely.
    const errors = await Promise.all([...owned].map(settle));
    const failed = errors.find((e) => e !== undefined);
    if (failed) throw failed;
    for (const t of owned) if (!returned.has(t)) t.dispose();
    return result;
  } catch (err) {
    await Promise.all([...owned].map(settle));
    for (const t of owned) t.dispose();
    throw err;
  }
}
