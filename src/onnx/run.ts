/**
 * Runs one ONNX model eagerly: decode, check every node (planModel), prepare the plan once per
 * device (program.ts: resident weights, folded constants, fused Conv/MatMul chains), then queue
 * the nodes in topological order with the eager ops. loadOnnxModel keeps a checked model for
 * repeated runs; { dynamicBatch: true } frees a fixed export batch (dynamicBatch.ts). The graph
 * runtime (lc.loadOnnx) will reuse decodeModel, planModel and the op table in nodes.ts.
 */
import { readFile } from 'node:fs/promises';
import { LeptonError, show } from '../errors.js';
import { deviceFor } from '../runtime/devices.js';
import { Tensor } from '../tensor.js';
import { describeNode } from './attributes.js';
import { makeBatchDynamic } from './dynamicBatch.js';
import { unsupportedReason } from './nodes.js';
import { executeProgram, prepareProgram, type OnnxProgram } from './program.js';
import { decodeModel, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensorProto, type OnnxValueInfo } from './proto.js';
import { dtypeFromOnnx } from './tensor.js';

export interface OnnxRunOptions {
  /** Device the nodes run on ('cpu', 'webgpu', 'cuda:0', ...); an op the device cannot run falls back to the CPU. */
  device?: string;
}

/** How a model is loaded (planModel, loadOnnxModel, runOnnxModel). */
export interface OnnxLoadOptions {
  /**
   * Make dimension 0 of the graph inputs (the batch) dynamic in a model exported with a fixed
   * batch: Reshape constants that hard-code it are rewritten (see dynamicBatch.ts). Refused with
   * UNSUPPORTED_OP, naming the node, where the graph could mix samples.
   */
  dynamicBatch?: boolean;
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
export function planModel(model: OnnxModel, options: OnnxLoadOptions = {}): OnnxPlan {
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
  if (options.dynamicBatch) return planModel(makeBatchDynamic(model, order, opset));
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

/**
 * Runs an ONNX model on `inputs` (keyed by graph input name) and returns its outputs keyed by
 * graph output name, computed and ready to read. Initializers are constants; one that is also
 * listed as a graph input (as IR <= 3 lists them all) takes a fed value instead when the caller
 * gives one. Inputs are never disposed.
 */
export async function runOnnxModel(
  model: Uint8Array | ArrayBuffer | string,
  inputs: Readonly<Record<string, Tensor>>,
  options: OnnxRunOptions & OnnxLoadOptions = {},
): Promise<Record<string, Tensor>> {
  const bytes = typeof model === 'string' ? await readFile(model) : model;
  const plan = planModel(decodeModel(bytes), options);
  try {
    return await runPlan(plan, inputs, options);
  } finally {
    await releasePlan(plan);
  }
}

/** Prepared programs of a plan, per device and set of fed overridable initializers. */
const programs = new WeakMap<OnnxPlan, Map<string, Promise<OnnxProgram>>>();

function programFor(plan: OnnxPlan, device: string | undefined, fed: ReadonlySet<string>): Promise<OnnxProgram> {
  let byKey = programs.get(plan);
  if (!byKey) programs.set(plan, (byKey = new Map()));
  const key = `${device ?? ''}|${[...fed].sort().join('\u0000')}`;
  let p = byKey.get(key);
  if (!p) {
    p = prepareProgram(plan, device, fed);
    byKey.set(key, p);
    p.catch(() => byKey!.delete(key)); // a failed preparation is retried (and re-reported) by the next run
  }
  return p;
}

/**
 * Frees what runPlan keeps per plan between runs (initializers and folded constants resident on
 * each device it ran on). The plan stays usable: a later run prepares it again.
 */
export async function releasePlan(plan: OnnxPlan): Promise<void> {
  const byKey = programs.get(plan);
  if (!byKey) return;
  programs.delete(plan);
  for (const p of byKey.values()) {
    try {
      (await p).dispose();
    } catch {
      // preparation failed: nothing is resident
    }
  }
}

/**
 * Executes a checked plan (see runOnnxModel). The first run on a device prepares the plan for it
 * (resident weights, folded constants, fused nodes); later runs reuse that until releasePlan(plan).
 */
export async function runPlan(plan: OnnxPlan, inputs: Readonly<Record<string, Tensor>>, options: OnnxRunOptions = {}): Promise<Record<string, Tensor>> {
  if (inputs === null || typeof inputs !== 'object') throw new LeptonError('BAD_ARGUMENT', `runOnnxModel: inputs must be an object of tensors keyed by input name, got ${show(inputs)}`);
  const device = options.device === undefined ? undefined : deviceFor(options.device, 'runOnnxModel').id;
  const graph = plan.model.graph;
  const fed = new Set<string>();
  for (const name of Object.keys(inputs)) {
    if (plan.overridable.has(name)) fed.add(name);
    else if (!plan.feeds.some((f) => f.name === name)) {
      throw new LeptonError('BAD_ARGUMENT', `runOnnxModel: input ${show(name)} must be one of the graph inputs (${plan.feeds.map((f) => f.name).join(', ')}), got an unknown name`);
    }
  }
  const checked: [string, Tensor][] = [];
  for (const info of plan.feeds) {
    if (!(info.name in inputs)) throw new LeptonError('BAD_ARGUMENT', `runOnnxModel: input ${show(info.name)} must be given (graph inputs: ${plan.feeds.map((f) => f.name).join(', ')})`);
    checked.push([info.name, checkFeed(info, inputs[info.name])]);
  }
  for (const name of fed) checked.push([name, checkFeed(graph.inputs.find((i) => i.name === name)!, inputs[name])]);

  const program = await programFor(plan, device, fed);
  const moved: Tensor[] = [];
  const feeds = new Map<number, Tensor>();
  for (const [name, t] of checked) {
    let v = t;
    if (device !== undefined && t.device !== device) moved.push((v = t.to(device)));
    feeds.set(program.feedSlots.get(name)!, v);
  }
  try {
    return await executeProgram(program, feeds, graph.outputs.map((o) => o.name));
  } finally {
    for (const t of moved) t.dispose();
  }
}

/** A loaded model: checked once, prepared per device on first use, run many times. */
export class OnnxSession {
  constructor(readonly plan: OnnxPlan) {}

  /** Graph inputs to feed, with their declared element type and shape ('N' marks a dynamic batch). */
  get inputs(): readonly OnnxValueInfo[] {
    return this.plan.feeds;
  }

  get outputs(): readonly OnnxValueInfo[] {
    return this.plan.model.graph.outputs;
  }

  /** Runs the model (see runOnnxModel); outputs are ready to read and belong to the caller. */
  run(inputs: Readonly<Record<string, Tensor>>, options: OnnxRunOptions = {}): Promise<Record<string, Tensor>> {
    return runPlan(this.plan, inputs, options);
  }

  /** Frees the weights kept on each device; the session can still run (it prepares again). */
  dispose(): Promise<void> {
    return releasePlan(this.plan);
  }
}

/** Decodes and checks a model (bytes or a file path) for repeated runs. */
export async function loadOnnxModel(model: Uint8Array | ArrayBuffer | string, options: OnnxLoadOptions = {}): Promise<OnnxSession> {
  const bytes = typeof model === 'string' ? await readFile(model) : model;
  return new OnnxSession(planModel(decodeModel(bytes), options));
}
