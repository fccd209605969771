/**
 * A checked plan prepared for one device, once: every value gets a slot, initializers become
 * resident tensors, nodes whose inputs are all constants are folded, host-side inputs that are
 * constants (Reshape shapes, axes, bounds) are decoded, attributes are parsed, and
 * Conv(+Add bias)(+Relu) / MatMul+Add(+Relu) chains become one fused conv2d / gemm. A run then
 * only queues eager ops, back to back with no await between nodes (unless a node needs a computed
 * value on the host), and releases each intermediate right after its last consumer was queued:
 * the eager runtime keeps an input's memory alive until the kernel reading it has finished.
 */
import * as linear from '../eager/linear.js';
import { LeptonError, show } from '../errors.js';
import { tensor, type Tensor } from '../tensor.js';
import { describeNode, NodeAttributes } from './attributes.js';
import { ONNX_OPS, type NodeContext } from './nodes.js';
import type { OnnxNode } from './proto.js';
import type { OnnxPlan } from './run.js';
import { hostTensorFromProto, tensorFromProto, type HostTensor } from './tensor.js';
import type { OnnxTensorProto } from './proto.js';

/** One unit of work: a node, or a fused chain with the unfused steps kept for inputs the fast path does not take. */
interface Step {
  readonly node: OnnxNode;
  readonly inputs: readonly number[]; // slot per node input, -1 where omitted
  readonly outputs: readonly number[]; // slot per node output, -1 where unused ('')
  /** Host copies of constant inputs the op reads on the host; indices in `dynamicHost` are read at run time. */
  readonly hosts: readonly (HostTensor | undefined)[];
  readonly dynamicHost: readonly number[];
  readonly run: (args: readonly (Tensor | undefined)[], ctx: NodeContext) => Tensor[];
  /** For a fused step: whether the fast path takes these inputs, else the unfused steps run. */
  readonly accepts?: (args: readonly (Tensor | undefined)[]) => boolean;
  readonly unfused?: readonly Step[];
  /** For a fused step: slots produced and consumed inside the chain (released after an unfused run). */
  readonly internal?: readonly number[];
  /** Slots whose last reader is this step: released right after it is queued. */
  release: number[];
}

export interface OnnxProgram {
  readonly device: string | undefined;
  readonly slotCount: number;
  readonly slotOf: ReadonlyMap<string, number>;
  /** Resident tensors: initializers and folded values (never released by a run). */
  readonly constants: readonly (Tensor | undefined)[];
  readonly steps: readonly Step[];
  /** Fed inputs (graph inputs and fed overridable initializers) by name. */
  readonly feedSlots: ReadonlyMap<string, number>;
  readonly outputSlots: readonly number[];
  readonly opset: number;
  /** Frees the resident tensors. */
  dispose(): void;
}

/** Re-raises a node's failure with the node named, keeping the code (anything unexpected becomes KERNEL_ERROR). */
export function nodeError(node: OnnxNode, err: unknown): LeptonError {
  const where = `onnx: node ${describeNode(node)}`;
  if (err instanceof LeptonError) {
    return err.message.startsWith(where) ? err : new LeptonError(err.code, `${where}: ${err.message}`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new LeptonError('KERNEL_ERROR', `${where}: ${message}`, { cause: err });
}

/**
 * Releases a handle once the kernel writing it has run. The eager runtime pins a tensor's memory
 * for the kernels that read it, but an op's output handle is the one its own kernel writes
 * through: disposing it before that kernel ran makes the kernel fail with DISPOSED.
 */
export function releaseWhenWritten(t: Tensor | undefined): void {
  if (!t || t.disposed) return;
  const release = () => t.dispose();
  t.storage('release').ready.then(release, release);
}

async function hostCopy(t: Tensor): Promise<HostTensor> {
  return { name: '', dtype: t.dtype, shape: [...t.shape], data: await t.data() };
}


/**
 * Prepares `plan` for `device` (undefined: each op runs where its inputs are, i.e. the CPU), with the
 * overridable initializers named in `fed` taken from the caller instead of the model.
 */
export async function prepareProgram(plan: OnnxPlan, device: string | undefined, fed: ReadonlySet<string>): Promise<OnnxProgram> {
  const graph = plan.model.graph;
  const slotOf = new Map<string, number>();
  const slot = (name: string): number => {
    if (name === '') return -1;
    let s = slotOf.get(name);
    if (s === undefined) slotOf.set(name, (s = slotOf.size));
    return s;
  };
  const constants: (Tensor | undefined)[] = [];
  const hostOf = new Map<number, HostTensor>();
  const resident: Tensor[] = [];
  const keep = (t: Tensor): Tensor => {
    resident.push(t);
    return t;
  };
  const feedSlots = new Map<string, number>();
  for (const f of plan.feeds) feedSlots.set(f.name, slot(f.name));
  for (const name of fed) feedSlots.set(name, slot(name));
  const protoOf = new Map<number, OnnxTensorProto>();
  /** Host data of a constant when it is at hand without waiting (initializers, CPU constants). */
  const syncHost = (s: number): HostTensor | undefined => {
    let h = hostOf.get(s);
    if (!h && protoOf.has(s)) hostOf.set(s, (h = hostTensorFromProto(protoOf.get(s)!)));
    if (!h && constants[s]) h = hostFromConstant(constants[s]!);
    return h;
  };
  try {
    for (const [name, proto] of plan.initializers) {
      if (fed.has(name)) continue;
      const s = slot(name);
      protoOf.set(s, proto);
      constants[s] = keep(tensorFromProto(proto, device));
    }
    const hostConstant = async (s: number): Promise<HostTensor> => {
      let h = syncHost(s);
      if (!h) hostOf.set(s, (h = await hostCopy(constants[s]!)));
      return h;
    };

    // Readers of each value (graph outputs count as a reader that never ends).
    const readers = new Map<string, number>();
    for (const node of plan.order) for (const n of node.input) if (n !== '') readers.set(n, (readers.get(n) ?? 0) + 1);
    const outputNames = new Set(graph.outputs.map((o) => o.name));
    for (const name of outputNames) readers.set(name, Infinity);

    // 1. Fold nodes whose inputs are all constants; make a step of every other node.
    const steps: Step[] = [];
    const stepOf = new Map<OnnxNode, Step>();
    for (const node of plan.order) {
      const op = ONNX_OPS[node.opType]!;
      const attrs = new NodeAttributes(node);
      const inputs = node.input.map(slot);
      const outputs = node.output.map(slot);
      const hostIdx = op.hostInputs?.(plan.opset) ?? [];
      const hosts: (HostTensor | undefined)[] = [];
      const dynamicHost: number[] = [];
      for (const i of hostIdx) {
        const s = inputs[i] ?? -1;
        if (s < 0) continue;
        if (constants[s]) hosts[i] = await hostConstant(s);
        else dynamicHost.push(i);
      }
      const run = (args: readonly (Tensor | undefined)[], ctx: NodeContext) => op.run(args, attrs, ctx);
      if (inputs.every((s) => s < 0 || constants[s] !== undefined)) {
        const temps: Tensor[] = [];
        try {
          const outs = run(inputs.map((s) => (s < 0 ? undefined : constants[s])), { opset: plan.opset, node, values: hosts, temp: (t) => (temps.push(t), t) });
          outs.forEach((t, i) => {
            const s = outputs[i] ?? -1;
            if (s >= 0) constants[s] = keep(t);
            else releaseWhenWritten(t);
          });
          for (const s of outputs) if (s >= 0) await constants[s]!.ready();
        } catch (err) {
          throw nodeError(node, err);
        } finally {
          for (const t of temps) t.dispose();
        }
        continue;
      }
      const step: Step = { node, inputs, outputs, hosts, dynamicHost, run, release: [] };
      steps.push(step);
      stepOf.set(node, step);
    }

    // 2. Fuse chains. A value inside a chain must have exactly one reader and not be a graph output.
    const only = (name: string): Step | undefined => {
      if (readers.get(name) !== 1) return undefined;
      return steps.find((s) => s.node.input.includes(name));
    };
    const fused: Step[] = [];
    const absorbed = new Set<Step>();
    for (const step of steps) {
      if (absorbed.has(step)) continue;
      const f = fuse(step, only, constants, syncHost, keep, device);
      if (f) {
        for (const s of f.unfused!) absorbed.add(s);
        fused.push(f);
      } else {
        fused.push(step);
      }
    }

    // 3. Release each slot after its last reader (slots never read after being produced go at once).
    const constantSlot = (s: number) => constants[s] !== undefined;
    const feedSet = new Set(feedSlots.values());
    const outputSlots = graph.outputs.map((o) => slotOf.get(o.name)!);
    const pinned = new Set(outputSlots);
    const last = new Map<number, Step>();
    for (const step of fused) {
      for (const s of step.outputs) if (s >= 0) last.set(s, step);
      for (const s of step.inputs) if (s >= 0) last.set(s, step);
    }
    for (const [s, step] of last) if (!constantSlot(s) && !feedSet.has(s) && !pinned.has(s)) step.release.push(s);

    const program: OnnxProgram = {
      device, slotCount: slotOf.size, slotOf, constants, steps: fused, feedSlots, outputSlots, opset: plan.opset,
      dispose: () => {
        for (const t of resident) t.dispose();
      },
    };
    return program;
  } catch (err) {
    for (const t of resident) t.dispose();
    throw err;
  }
}

/** Per-channel bias of a conv output [N,M,H,W]: a constant float32 shaped [M,1,1] or [1,M,1,1]. */
function channelBias(h: HostTensor | undefined, M: number): Float32Array | undefined {
  if (!h || h.dtype !== 'float32') return undefined;
  const s = h.shape;
  const ok = (s.length === 3 && s[0] === M && s[1] === 1 && s[2] === 1) || (s.length === 4 && s[0] === 1 && s[1] === M && s[2] === 1 && s[3] === 1);
  return ok ? (h.data as Float32Array) : undefined;
}

/** Row bias of a matmul output [M,N]: a constant float32 shaped [N] or [1,N]. */
function rowBias(h: HostTensor | undefined, N: number): HostTensor | undefined {
  if (!h || h.dtype !== 'float32') return undefined;
  const s = h.shape;
  return (s.length === 1 && s[0] === N) || (s.length === 2 && s[0] === 1 && s[1] === N) ? h : undefined;
}

/** Conv [+ Add(bias)] [+ Relu] -> conv2d(bias, activation); MatMul + Add(bias) [+ Relu] -> gemm(C, activation). */
function fuse(
  head: Step,
  only: (name: string) => Step | undefined,
  constants: readonly (Tensor | undefined)[],
  syncHost: (slot: number) => HostTensor | undefined,
  keep: (t: Tensor) => Tensor,
  device: string | undefined,
): Step | undefined {
  const node = head.node;
  if (node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
  const isConv = node.opType === 'Conv' && node.input.length === 2 && node.output.length === 1;
  const isMatMul = node.opType === 'MatMul' && node.output.length === 1;
  if (!isConv && !isMatMul) return undefined;
  const w = constants[head.inputs[1]!];
  if (!w || w.dtype !== 'float32') return undefined;
  const chain: Step[] = [head];
  let bias: HostTensor | undefined;
  let activation: 'none' | 'relu' = 'none';
  let next = only(node.output[0]!);
  // The constant other operand of a following Add.
  if (next && next.node.opType === 'Add' && next.node.attributes.length === 0 && next.node.input.length === 2) {
    const other = next.node.input[0] === node.output[0] ? 1 : 0;
    const s = next.inputs[other]!;
    const h = s >= 0 && constants[s] ? syncHost(s) : undefined;
    const b = isConv ? (w.rank === 4 && channelBias(h, w.shape[0]!) ? h : undefined) : w.rank === 2 ? rowBias(h, w.shape[1]!) : undefined;
    if (b) {
      bias = b;
      chain.push(next);
      next = only(next.node.output[0]!);
    }
  }
  if (isMatMul && !bias) return undefined; // a lone MatMul gains nothing
  if (next && next.node.opType === 'Relu' && next.node.attributes.length === 0) {
    chain.push(next);
    activation = 'relu';
  }
  if (chain.length === 1) return undefined;
  if (!isConv && w.rank !== 2) return undefined;
  if (isConv && w.rank !== 4) return undefined;

  const tail = chain[chain.length - 1]!;
  let biasTensor: Tensor | undefined;
  if (bias) {
    const n = isConv ? w.shape[0]! : w.shape[1]!;
    const host = tensor(bias.data as Float32Array, isConv ? [n] : [1, n]);
    biasTensor = keep(device === undefined || device === 'cpu' ? host : host.to(device));
  }
  const attrs = new NodeAttributes(node);
  let run: Step['run'];
  let accepts: Step['accepts'];
  if (isConv) {
    // Same options the unfused Conv entry builds (nodes.ts), read once.
    const opts = convOptions(attrs);
    if (!opts) return undefined;
    const options = { ...opts, ...(biasTensor ? { bias: biasTensor } : {}), activation };
    accepts = (args) => args[0]?.rank === 4 && args[0].dtype === 'float32';
    run = (args) => [linear.conv2d(args[0]!, args[1]!, options)];
  } else {
    const options = { activation };
    accepts = (args) => args[0]?.rank === 2 && args[0].dtype === 'float32';
    run = (args) => [linear.gemm(args[0]!, args[1]!, biasTensor, options)];
  }
  return {
    node: tail === head ? head.node : { ...head.node, name: chain.map((s) => s.node.name || s.node.opType).join('+') },
    inputs: head.inputs,
    outputs: tail.outputs,
    hosts: [],
    dynamicHost: [],
    run,
    accepts,
    unfused: chain,
    internal: chain.slice(0, -1).flatMap((s) => s.outputs.filter((o) => o >= 0)),
    release: [],
  };
}


function hostFromConstant(t: Tensor): HostTensor | undefined {
  // Only CPU constants can be read synchronously; others were decoded by prepareProgram when needed.
  if (t.device !== 'cpu' || t.disposed) return undefined;
  const v = t.view();
  if (!t.contiguous || v.offset !== 0) return undefined;
  return { name: '', dtype: t.dtype, shape: t.shape, data: v.data.subarray(0, t.size) as HostTensor['data'] };
}

const AUTO_PAD = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** Conv window options in the eager op's form (as nodes.ts builds them), or undefined to leave the node unfused. */
function convOptions(attrs: NodeAttributes): Record<string, unknown> | undefined {
  const known = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];
  if (attrs.names().some((n) => !known.includes(n))) return undefined;
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  if (!AUTO_PAD.includes(autoPad)) return undefined;
  const opts: Record<string, unknown> = { autoPad, groups: attrs.int('group', 1) };
  const strides = attrs.ints('strides');
  const pads = attrs.ints('pads');
  const dilations = attrs.ints('dilations');
  const kernelShape = attrs.ints('kernel_shape');
  if (kernelShape && kernelShape.length !== 2) return undefined;
  if (strides) opts.strides = strides;
  if (pads && autoPad === 'NOTSET') opts.pads = pads;
  if (dilations) opts.dilations = dilations;
  if (kernelShape) opts.kernelShape = kernelShape;
  return opts;
}

/**
 * Runs a prepared program on `feeds` (slot -> tensor, already on the program's device) and returns
 * the graph outputs by name, ready to read. Feeds are never disposed; every other tensor made here
 * but the outputs is released.
 */
export async function executeProgram(program: OnnxProgram, feeds: ReadonlyMap<number, Tensor>, outputNames: readonly string[]): Promise<Record<string, Tensor>> {
  const live: (Tensor | undefined)[] = new Array(program.slotCount);
  for (const [s, t] of feeds) live[s] = t;
  const fedSlot = new Set(feeds.keys());
  const value = (s: number): Tensor | undefined => (s < 0 ? undefined : live[s] ?? program.constants[s]);
  const drop = (s: number) => {
    const t = live[s];
    if (t && !fedSlot.has(s)) releaseWhenWritten(t);
    live[s] = undefined;
  };
  const temps: Tensor[] = [];
  const temp = (t: Tensor): Tensor => {
    temps.push(t);
    return t;
  };

  /** Queues one step's ops; returns a promise only when it must wait (host reads, an unfused chain that does). */
  const runStep = (step: Step): Promise<void> | undefined => {
    const args = step.inputs.map(value);
    if (step.accepts && !step.accepts(args)) {
      const done = () => {
        for (const s of step.internal!) drop(s);
        for (const s of step.release) drop(s);
      };
      const p = runSteps(step.unfused!);
      if (p) return p.then(done);
      done();
      return undefined;
    }
    if (step.dynamicHost.length === 0) return launch(step, args, step.hosts);
    return (async () => {
      const hosts = [...step.hosts];
      try {
        for (const i of step.dynamicHost) if (args[i]) hosts[i] = await hostCopy(args[i]!);
      } catch (err) {
        throw nodeError(step.node, err);
      }
      launch(step, args, hosts);
    })();
  };
  const runSteps = (steps: readonly Step[], from = 0): Promise<void> | undefined => {
    for (let i = from; i < steps.length; i++) {
      const p = runStep(steps[i]!);
      if (p) return p.then(() => runSteps(steps, i + 1));
    }
    return undefined;
  };
  const launch = (step: Step, args: readonly (Tensor | undefined)[], hosts: readonly (HostTensor | undefined)[]): undefined => {
    try {
      const outs = step.run(args, { opset: program.opset, node: step.node, values: hosts, temp });
      step.outputs.forEach((s, i) => {
        const t = outs[i];
        if (s < 0) {
          releaseWhenWritten(t);
          return;
        }
        if (!t) throw new LeptonError('UNSUPPORTED_OP', `output ${i} (${show(step.node.output[i])}) is not produced`);
        live[s] = t;
      });
      for (let i = step.outputs.length; i < outs.length; i++) releaseWhenWritten(outs[i]);
    } catch (err) {
      throw nodeError(step.node, err);
    } finally {
      for (const t of temps) releaseWhenWritten(t);
      temps.length = 0;
    }
    for (const s of step.release) drop(s);
    return undefined;
  };

  const result: Record<string, Tensor> = {};
  try {
    // Steps with no host reads are queued synchronously: no promise hop between nodes.
    await runSteps(program.steps);
    const handedOut = new Set<Tensor>();
    program.outputSlots.forEach((s, i) => {
      let t = value(s)!;
      // Never hand back a feed, a resident constant or the same handle twice: a new handle on the storage.
      if (fedSlot.has(s) || live[s] === undefined || handedOut.has(t)) t = t.to(t.device);
      else live[s] = undefined;
      handedOut.add(t);
      result[outputNames[i]!] = t;
    });
    for (let s = 0; s < live.length; s++) if (live[s]) drop(s);
    // Failures anywhere upstream flow into the outputs' storage: waiting on them surfaces them.
    for (const t of Object.values(result)) await t.ready();
    return result;
  } catch (err) {
    for (let s = 0; s < live.length; s++) if (live[s]) drop(s);
    for (const t of Object.values(result)) releaseWhenWritten(t);
    throw err;
  }

}

