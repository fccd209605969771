/**
 * The executor: runs a plan's steps through the per-device queues, each step as soon as the
 * steps it depends on are done (so independent steps on different devices overlap). A device
 * that fails mid-run (OUT_OF_MEMORY, DEVICE_LOST, DEVICE_ERROR, KERNEL_ERROR) is dropped for the
 * run: its remaining steps are skipped, and once everything in flight has settled the missing
 * outputs are recomputed on the CPU from whatever good values exist. Eager ops use runKernel,
 * the same launch path (a one-step plan).
 */
import type { Backend } from '../backends/backend.js';
import { LeptonError, show } from '../errors.js';
import type { PlanStep } from '../graph/passes/schedule.js';
import type { Plan } from '../graph/plan.js';
import type { OpDef, OpInfo } from '../ops/op.js';
import { sizeOf } from '../shape.js';
import { hostStorage } from '../storage.js';
import { hostTensor, tensorOf, type Tensor } from '../tensor.js';
import { backendById, deviceFor } from './devices.js';
import { asLeptonError } from './errors.js';
import type { FallbackEvent } from './events.js';
import { recordFailure, recordSuccess } from './health.js';
import type { StepRecord } from './profile.js';
import { queueFor } from './queue.js';

/** The backend of a device id, without deviceFor's per-call info() (slow on the CPU backend). */
function backendOf(id: string): Backend {
  return backendById(id) ?? deviceFor(id, 'run');
}

/** Failures that drop the device for the run instead of failing the run. */
export const FAILOVER_CODES: ReadonlySet<string> = new Set(['OUT_OF_MEMORY', 'DEVICE_LOST', 'DEVICE_ERROR', 'KERNEL_ERROR']);

/** Queues one kernel on its device: the launch path shared by eager ops and compiled steps. */
export function runKernel(backend: Backend, op: OpDef<any, any>, attrs: unknown, info: OpInfo, inputs: readonly (Tensor | undefined)[],
  outputs: readonly Tensor[], priority = 0): Promise<void> {
  return queueFor(backend.id).run(priority, () => {
    const r = backend.execute(op, attrs, info, inputs, outputs);
    // A thenable, not `instanceof Promise`: the addon's promises may come from another realm (jest's vm).
    return isThenable(r) ? r.then(() => checkOutputs(op.name, outputs)) : checkOutputs(op.name, outputs);
  });
}

function isThenable(v: unknown): v is PromiseLike<void> {
  return typeof (v as { then?: unknown } | undefined)?.then === 'function';
}

/** A device may report a kernel's failure on its outputs' storage (WebGPU error scopes). */
function checkOutputs(op: string, outputs: readonly Tensor[]): void {
  for (const t of outputs) {
    const e = t.storage(op).error;
    if (e) throw e;
  }
}

export interface RunContext {
  readonly priority: number;
  readonly run: number;
  readonly records: StepRecord[];
  readonly emit: (event: FallbackEvent) => void;
}

/** Thrown for steps not run because their device was dropped or an input is missing. */
const SKIPPED = new LeptonError('DEVICE_ERROR', 'step skipped: its device was dropped for this run');

export async function executePlan(plan: Plan, feeds: ReadonlyMap<string, Tensor>, ctx: RunContext): Promise<Record<string, Tensor>> {
  const { steps, values } = plan;
  const tensors: (Tensor | undefined)[] = new Array(values.length);
  const done: boolean[] = new Array(steps.length).fill(false);
  const dropped = new Map<string, { step: PlanStep; error: LeptonError }>();
  const arenas = plan.takeArenas();
  const made: Tensor[] = []; // handles this run created; all but the returned outputs are disposed at the end
  const pending = plan.readCounts.slice(); // reads left per root value: a buffer is released after its last
  let fatal: LeptonError | undefined;

  for (const [name, i] of plan.inputIndex) tensors[i] = feeds.get(name);
  for (const v of values) if (v.kind === 'constant') tensors[v.index] = plan.resident(v);

  const allocate = (o: number): Tensor => {
    const v = values[o]!;
    const slotted = arenas[o];
    if (slotted) {
      slotted.storage('run').error = undefined; // arena tensors are reused from run to run
      return slotted;
    }
    const t = tensorOf(backendOf(v.device).allocate(v.dtype, sizeOf(v.shape)), v.shape);
    made.push(t);
    return t;
  };
  const input = (i: number | undefined): Tensor | undefined => {
    if (i === undefined) return undefined;
    const t = tensors[i];
    if (!t) throw SKIPPED;
    if (t.disposed) throw new LeptonError('DISPOSED', `run: ${values[i]!.kind} ${show(values[i]!.source.input ?? i)} was disposed while the run used it`);
    const e = t.storage('run').error;
    if (e) throw e;
    return t;
  };
  const record = (s: PlanStep, start: number, bytesMoved = 0, kind: StepRecord['kind'] = s.kind, device = s.device) => {
    ctx.records.push({ name: s.name, op: s.node?.op.name ?? 'transfer', kind, device, start, end: performance.now(), bytesMoved, run: ctx.run });
  };
  const release = (s: PlanStep) => {
    for (const i of s.inputs) {
      if (i === undefined) continue;
      const r = plan.rootOf[i]!;
      if (--pending[r]! === 0 && plan.releasable[r] && !arenas[r]) for (const a of plan.aliases[r]!) if (tensors[a] && values[a]!.kind === 'step') tensors[a]!.dispose();
    }
  };

  const body = async (s: PlanStep): Promise<void> => {
    if (dropped.has(s.device)) throw SKIPPED;
    const start = performance.now();
    const ins = s.inputs.map(input);
    if (s.kind === 'transfer') {
      const src = ins[0]!;
      if (src.device === s.device) {
        tensors[s.outputs[0]!] = tensorOf(src.storage('run'), src.shape, src.strides, src.offset);
        made.push(tensors[s.outputs[0]!]!);
        return;
      }
      const data = await backendOf(src.device).read(src);
      const target = backendOf(s.device);
      let out: Tensor;
      if (s.device === 'cpu') {
        out = tensorOf(hostStorage(src.dtype, data), src.shape);
        made.push(out);
      } else {
        out = allocate(s.outputs[0]!);
        await target.write(out.storage('run'), data);
      }
      tensors[s.outputs[0]!] = out;
      record(s, start, data.byteLength);
      return;
    }
    const node = s.node!;
    if (s.kind === 'view') {
      const src = ins[0]!;
      const v = node.op.view!(s.info!, { shape: src.shape, strides: src.strides, offset: src.offset });
      if (v) {
        tensors[s.outputs[0]!] = tensorOf(src.storage('run'), v.shape, v.strides, v.offset);
        made.push(tensors[s.outputs[0]!]!);
        return;
      }
    }
    const outs = s.outputs.map(allocate);
    await runKernel(backendOf(s.device), node.op, node.attrs, s.info!, ins, outs, ctx.priority);
    s.outputs.forEach((o, k) => (tensors[o] = outs[k]));
    record(s, start);
  };

  // Launch every step behind its dependencies.
  const launched: Promise<void>[] = new Array(steps.length);
  for (const s of steps) {
    const deps = [...s.deps].map((d) => launched[d]!);
    const ready = deps.length === 0 ? Promise.resolve() : deps.length === 1 ? deps[0]! : Promise.all(deps);
    launched[s.index] = ready.then(() => body(s)).then(
      () => {
        done[s.index] = true;
        release(s);
      },
      (err: unknown) => {
        if (err === SKIPPED) throw err;
        const e = asLeptonError(s.name, err);
        if (FAILOVER_CODES.has(e.code) && !dropped.has(s.device)) dropped.set(s.device, { step: s, error: e });
        else if (!FAILOVER_CODES.has(e.code)) fatal ??= e;
        throw SKIPPED;
      },
    );
  }
  await Promise.allSettled(launched);

  try {
    if (fatal) throw fatal;
    const out: Record<string, Tensor> = {};
    const recovered = dropped.size ? await recover(plan, feeds, tensors, done, dropped, ctx) : undefined;
    for (const [name, i] of plan.outputIndex) {
      const t = recovered ? await recovered(i) : tensors[i]!;
      out[name] = tensorOf(t.storage(name), t.shape, t.strides, t.offset); // the caller's own handle
    }
    for (const d of new Set(steps.map((s) => s.device))) if (!dropped.has(d)) recordSuccess(d);
    return out;
  } finally {
    for (const t of made) t.dispose();
    plan.returnArenas(arenas);
  }
}

/**
 * Recomputes, on the CPU, what the outputs need and the run does not have: values of failed or
 * skipped steps and everything on a dropped device. Returns a getter for any plan value.
 */
async function recover(plan: Plan, feeds: ReadonlyMap<string, Tensor>, tensors: (Tensor | undefined)[], done: boolean[],
  dropped: Map<string, { step: PlanStep; error: LeptonError }>, ctx: RunContext): Promise<(i: number) => Promise<Tensor>> {
  const { steps, values } = plan;
  const cpu = backendOf('cpu');
  const replaced: string[] = [];
  const stepMemo = new Map<number, Promise<Tensor[]>>();
  const usable = (i: number): Tensor | undefined => {
    const t = tensors[i], v = values[i]!;
    if (!t || t.disposed || dropped.has(t.device) || t.storage('run').error) return undefined;
    return v.kind !== 'step' || done[v.producer!] ? t : undefined;
  };
  const onCpu = async (t: Tensor): Promise<Tensor> => {
    if (t.device === 'cpu') return t;
    const c = t.to('cpu');
    await c.ready();
    return c;
  };
  const get = async (i: number): Promise<Tensor> => {
    const v = values[i]!;
    const have = usable(i);
    if (have) return have;
    if (v.kind === 'input') return feeds.get([...plan.inputIndex].find(([, j]) => j === i)![0])!;
    if (v.kind === 'constant') return v.source.constant!;
    const s = steps[v.producer!]!;
    if (s.kind === 'transfer') return get(s.inputs[0]!);
    let outs = stepMemo.get(s.index);
    if (!outs) stepMemo.set(s.index, (outs = runOnCpu(s)));
    return (await outs)[s.outputs.indexOf(i)]!;
  };
  const runOnCpu = async (s: PlanStep): Promise<Tensor[]> => {
    const ins = await Promise.all(s.inputs.map(async (j) => (j === undefined ? undefined : onCpu(await get(j)))));
    const node = s.node!;
    if (s.kind === 'view') {
      const src = ins[0]!;
      const v = node.op.view!(s.info!, { shape: src.shape, strides: src.strides, offset: src.offset });
      if (v) return [tensorOf(src.storage('run'), v.shape, v.strides, v.offset)];
    }
    const start = performance.now();
    const outs = s.info!.outputs.map((m) => hostTensor(m.dtype, m.shape));
    if (dropped.has('cpu')) node.op.reference(s.info!, ins.map((t) => t?.view()), outs.map((t) => t.view().data));
    else await runKernel(cpu, node.op, node.attrs, s.info!, ins, outs, ctx.priority);
    replaced.push(s.name);
    ctx.records.push({ name: s.name, op: node.op.name, kind: 'fallback', device: 'cpu', start, end: performance.now(), bytesMoved: 0, run: ctx.run });
    return outs;
  };
  // Compute every output now, so the event can list what moved.
  const results = new Map<number, Tensor>();
  for (const i of plan.outputIndex.values()) results.set(i, await get(i));
  for (const [device, { step, error }] of dropped) {
    ctx.emit({
      kind: 'device-failure', op: step.node?.op.name ?? 'transfer', node: step.name, from: device, to: 'cpu', code: error.code,
      reason: `${device} failed at ${step.name} (${error.code}: ${error.message}); it was dropped for this run and ${replaced.length} node(s) re-ran on the cpu`,
      replaced: [...replaced],
    });
    if (recordFailure(device)) {
      ctx.emit({ kind: 'unhealthy', op: step.node?.op.name ?? 'transfer', node: step.name, from: device, to: 'cpu', code: error.code,
        reason: `${device} failed repeatedly; it is left out of placement until markHealthy(${JSON.stringify(device)})` });
    }
  }
  return async (i) => results.get(i) ?? get(i);
}
