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
import { isThenable, queueFor } from './queue.js';

/** The backend of a device id, without deviceFor's per-call info() (slow on the CPU backend). */
function backendOf(id: string): Backend {
  return backendById(id) ?? deviceFor(id, 'run');
}

/** Failures that drop the device for the run instead of failing the run. */
export const FAILOVER_CODES: ReadonlySet<string> = new Set(['OUT_OF_MEMORY', 'DEVICE_LOST', 'DEVICE_ERROR', 'KERNEL_ERROR']);

/** Queues one kernel on its device: the launch path shared by eager ops and compiled steps. */
export function runKernel(backend: Backend, op: OpDef<any, any>, attrs: unknown, info: OpInfo, inputs: readonly (Tensor | undefined)[],
  outputs: readonly Tensor[], priority = 0): Promise<void> {
  try {
    return Promise.resolve(launchKernel(backend, op, attrs, info, inputs, outputs, priority));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * runKernel without the promise: on an idle device a synchronous kernel (the CPU's tiny ones
 * run inline) finishes before this returns undefined; otherwise the kernel's promise comes back.
 */
export function launchKernel(backend: Backend, op: OpDef<any, any>, attrs: unknown, info: OpInfo, inputs: readonly (Tensor | undefined)[],
  outputs: readonly Tensor[], priority = 0): Promise<void> | void {
  return queueFor(backend.id).launch(priority, () => {
    const r = backend.execute(op, attrs, info, inputs, outputs);
    return isThenable(r) ? r.then(() => checkOutputs(op.name, outputs)) : checkOutputs(op.name, outputs);
  });
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
  /** Set by a native replay instead of pushing records: builds them when the profile is read. */
  lazyRecords?: () => StepRecord[];
  readonly emit: (event: FallbackEvent) => void;
}

/** Thrown for steps not run because their device was dropped or an input is missing. */
const SKIPPED = new LeptonError('DEVICE_ERROR', 'step skipped: its device was dropped for this run');

/**
 * Runs the steps in dependency order from a ready list. A step whose launch returns synchronously
 * (a tiny CPU kernel, a view) completes at once and its dependents run in the same loop, with no
 * promise per step; a step that returns a promise (a worker-thread kernel, another device, a
 * transfer) is left in flight while other ready steps go on, so independent steps on different
 * devices overlap. The loop waits only when nothing is ready and something is in flight.
 */
export async function executePlan(plan: Plan, feeds: ReadonlyMap<string, Tensor>, ctx: RunContext): Promise<Record<string, Tensor>> {
  const { steps, values, dependents } = plan;
  const tensors: (Tensor | undefined)[] = new Array(values.length);
  const done: boolean[] = new Array(steps.length).fill(false);
  const dropped = new Map<string, { step: PlanStep; error: LeptonError }>();
  const arenas = plan.takeArenas();
  const made: Tensor[] = []; // handles this run created; all but the returned outputs are disposed at the end
  const pending = plan.readCounts.slice(); // reads left per root value: a buffer is released after its last
  const waitingOn = plan.depCounts.slice(); // unfinished dependencies per step
  const blocked: boolean[] = new Array(steps.length).fill(false); // a dependency failed or was skipped
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
  // A step launched right after another finished inline starts when that one ended: one clock
  // read per step instead of two (-1: the last step did not finish inline, read the clock).
  let lastEnd = -1;
  const record = (s: PlanStep, start: number, bytesMoved = 0, kind: StepRecord['kind'] = s.kind, device = s.device) => {
    const end = (lastEnd = performance.now());
    ctx.records.push({ name: s.name, op: s.node?.op.name ?? 'transfer', kind, device, start, end, bytesMoved, run: ctx.run });
  };
  const release = (s: PlanStep) => {
    for (const i of s.inputs) {
      if (i === undefined) continue;
      const r = plan.rootOf[i]!;
      if (--pending[r]! === 0 && plan.releasable[r] && !arenas[r]) for (const a of plan.aliases[r]!) if (tensors[a] && values[a]!.kind === 'step') tensors[a]!.dispose();
    }
  };
  const setOutput = (s: PlanStep, t: Tensor) => {
    tensors[s.outputs[0]!] = t;
    made.push(t);
  };

  const transfer = async (s: PlanStep, src: Tensor, start: number): Promise<void> => {
    const data = await backendOf(src.device).read(src);
    let out: Tensor;
    if (s.device === 'cpu') {
      out = tensorOf(hostStorage(src.dtype, data), src.shape);
      made.push(out);
    } else {
      out = allocate(s.outputs[0]!);
      await backendOf(s.device).write(out.storage('run'), data);
    }
    tensors[s.outputs[0]!] = out;
    record(s, start, data.byteLength);
  };

  /** One step: returns undefined when it finished inline, else a promise of its end. */
  const body = (s: PlanStep): Promise<void> | void => {
    if (dropped.size && dropped.has(s.device)) throw SKIPPED;
    const start = lastEnd >= 0 ? lastEnd : performance.now();
    const ins = new Array<Tensor | undefined>(s.inputs.length);
    for (let k = 0; k < ins.length; k++) ins[k] = input(s.inputs[k]);
    if (s.kind === 'transfer') {
      const src = ins[0]!;
      if (src.device === s.device) return setOutput(s, tensorOf(src.storage('run'), src.shape, src.strides, src.offset));
      return transfer(s, src, start);
    }
    const node = s.node!;
    if (s.kind === 'view') {
      const src = ins[0]!;
      const v = node.op.view!(s.info!, { shape: src.shape, strides: src.strides, offset: src.offset });
      if (v) return setOutput(s, tensorOf(src.storage('run'), v.shape, v.strides, v.offset));
    }
    const outs = new Array<Tensor>(s.outputs.length);
    for (let k = 0; k < outs.length; k++) outs[k] = allocate(s.outputs[k]!);
    const r = launchKernel(backendOf(s.device), node.op, node.attrs, s.info!, ins, outs, ctx.priority);
    if (isThenable(r)) return r.then(() => finished(s, outs, start));
    finished(s, outs, start);
  };
  const finished = (s: PlanStep, outs: Tensor[], start: number) => {
    for (let k = 0; k < outs.length; k++) tensors[s.outputs[k]!] = outs[k];
    record(s, start);
  };

  // The ready list: steps whose dependencies have all settled, in plan order as they become ready.
  const ready: number[] = [];
  for (const s of steps) if (waitingOn[s.index] === 0) ready.push(s.index);
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const settle = (s: PlanStep, failed: boolean) => {
    if (failed) blocked[s.index] = true;
    else {
      done[s.index] = true;
      release(s);
    }
    for (const d of dependents[s.index]!) {
      if (failed) blocked[d] = true;
      if (--waitingOn[d]! === 0) ready.push(d);
    }
  };
  const fail = (s: PlanStep, err: unknown) => {
    if (err !== SKIPPED) {
      const e = asLeptonError(s.name, err);
      if (FAILOVER_CODES.has(e.code)) {
        if (!dropped.has(s.device)) dropped.set(s.device, { step: s, error: e });
      } else fatal ??= e;
    }
    settle(s, true);
  };
  const landed = (s: PlanStep, failed: boolean, err?: unknown) => {
    inFlight--;
    try {
      if (failed) fail(s, err);
      else settle(s, false);
    } finally {
      wake?.(); // never leave the loop waiting
    }
  };

  for (let head = 0; ; ) {
    while (head < ready.length) {
      const s = steps[ready[head++]!]!;
      if (blocked[s.index]) {
        settle(s, true); // an input is missing: skipped, like its dependents
        continue;
      }
      let r: Promise<void> | void;
      try {
        r = body(s);
      } catch (err) {
        lastEnd = -1;
        fail(s, err);
        continue;
      }
      if (isThenable(r)) {
        lastEnd = -1;
        inFlight++;
        r.then(() => landed(s, false), (err: unknown) => landed(s, true, err));
      } else settle(s, false);
    }
    if (inFlight === 0) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    lastEnd = -1;
  }

  try {
    if (fatal) throw fatal;
    const out: Record<string, Tensor> = {};
    const recovered = dropped.size ? await recover(plan, feeds, tensors, done, dropped, ctx) : undefined;
    for (const [name, i] of plan.outputIndex) {
      const t = recovered ? await recovered(i) : tensors[i]!;
      out[name] = tensorOf(t.storage(name), t.shape, t.strides, t.offset); // the caller's own handle
    }
    for (const d of plan.stepDevices) if (!dropped.has(d)) recordSuccess(d);
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
