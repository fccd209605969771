/**
 * Replays of a compiled CPU plan. When every step of a plan is a native CPU kernel or a view, its
 * second run goes through the steps in plan order with a native recording passed to each kernel
 * (native/recording_binding.cc): the kernels run and their launches are captured with the buffers
 * they touch. Later runs copy the inputs into the recording's own input buffers, replay the launches
 * in one native call and copy the outputs out, skipping everything a launch costs in JS (views,
 * argument checks, the executor's bookkeeping): tens of nanoseconds per op instead of microseconds.
 * The recording owns its buffers (arenas taken from the plan, never returned), so runs of one
 * replay are serialized; a run that finds it busy, or a plan with any other kind of step, takes the
 * executor. A failed replay turns replays off for the plan and the run goes to the executor.
 */
import { cpuBackend } from '../backends/cpu/index.js';
import { cpuRecording } from '../backends/cpu/recorder.js';
import type { Plan } from '../graph/plan.js';
import { native, type NativeRecording } from '../native.js';
import { isContiguous, sizeOf } from '../shape.js';
import { hostStorage } from '../storage.js';
import { gatherHost, hostTensor, tensorOf, type Tensor } from '../tensor.js';
import type { TypedArray } from '../dtype.js';
import type { RunContext } from './executor.js';
import type { StepRecord } from './profile.js';
import { isThenable, queueFor } from './queue.js';

/** A whole replay this small runs inline on the JS thread (a round trip to the kernel thread costs ~20 us). */
const INLINE_FLOPS = 8_000_000;
const INLINE_BYTES = 4 * 1024 * 1024;

export class Replay {
  private state: 'new' | 'warm' | 'ready' | 'off' = 'new';
  /** Why replays are off for this plan (undefined while they may run). */
  reason: string | undefined;
  private rec: NativeRecording | undefined;
  private busy = false;
  private readonly feeds = new Map<string, Tensor>();
  private outputs: [string, Tensor][] = [];
  /** Tensors over the recording's buffers (arenas, outputs, views), disposed with it. */
  private readonly held: Tensor[] = [];
  private tags: Int32Array = new Int32Array(0);
  private timings = new Float64Array(0);
  private inline = false;
  private lastRun = -1;

  constructor(private readonly plan: Plan) {
    if (!native) this.off('the native addon is not loaded');
    else {
      const other = plan.steps.find((s) => s.device !== 'cpu' || s.kind === 'transfer');
      if (other) this.off(`step ${other.name} is a ${other.kind} on ${other.device}`);
    }
  }

  /** The run's outputs, or undefined when this run takes the executor (the first run, a busy or disabled replay). */
  async run(feeds: ReadonlyMap<string, Tensor>, ctx: RunContext): Promise<Record<string, Tensor> | undefined> {
    if (this.state === 'off' || this.busy) return undefined;
    if (this.state === 'new') {
      this.state = 'warm'; // the first run goes through the executor: it proves the plan runs
      return undefined;
    }
    for (const t of feeds.values()) if (t.device !== 'cpu') return undefined;
    this.busy = true;
    try {
      if (this.state === 'warm') await this.record(feeds, ctx);
      else await this.replay(feeds, ctx);
      return this.copyOut();
    } catch (err) {
      this.off(`a replay failed: ${(err as Error)?.message ?? String(err)}`);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  /** 'new' (next run: executor), 'warm' (next run records), 'ready' (runs replay) or 'off' with the reason. */
  get status(): { state: string; reason?: string } {
    return this.reason === undefined ? { state: this.state } : { state: this.state, reason: this.reason };
  }

  /** Frees the recording and its buffers; later runs take the executor. */
  dispose(): void {
    this.off('the model was disposed');
  }

  private async record(feeds: ReadonlyMap<string, Tensor>, ctx: RunContext): Promise<void> {
    const { plan } = this;
    const addon = native!;
    const { steps, values } = plan;
    const rec = (this.rec = addon.recordingNew());
    const tensors: (Tensor | undefined)[] = new Array(values.length);
    const arenas = plan.takeArenas(); // never returned: the recording writes into them on every replay
    for (const t of arenas) if (t) this.held.push(t);
    for (const [name, i] of plan.inputIndex) {
      const v = values[i]!;
      const t = hostTensor(v.dtype, v.shape);
      this.held.push(t);
      this.feeds.set(name, t);
      tensors[i] = t;
    }
    for (const v of values) if (v.kind === 'constant') tensors[v.index] = plan.resident(v);
    this.copyIn(feeds);
    cpuRecording.tainted = undefined;
    let flops = 0, bytes = 0;
    for (const s of steps) {
      const start = performance.now();
      const ins = s.inputs.map((i) => (i === undefined ? undefined : tensors[i]));
      const node = s.node!;
      if (s.kind === 'view') {
        const src = ins[0]!;
        const v = node.op.view!(s.info!, { shape: src.shape, strides: src.strides, offset: src.offset });
        if (v) {
          const t = tensorOf(src.storage('replay'), v.shape, v.strides, v.offset);
          this.held.push(t);
          tensors[s.outputs[0]!] = t;
          continue;
        }
      }
      const outs = s.outputs.map((o) => {
        const slotted = arenas[o];
        if (slotted) return slotted;
        const t = hostTensor(values[o]!.dtype, values[o]!.shape); // fresh, never pooled: the recording keeps it
        this.held.push(t);
        return t;
      });
      addon.recordingMark(rec, s.index);
      cpuRecording.rec = rec;
      let r;
      try {
        r = cpuBackend.execute(node.op, node.attrs, s.info!, ins, outs);
      } finally {
        cpuRecording.rec = undefined;
      }
      if (isThenable(r)) await r;
      if (cpuRecording.tainted) throw new Error(`step ${s.name} cannot be replayed: ${cpuRecording.tainted}`);
      s.outputs.forEach((o, k) => (tensors[o] = outs[k]));
      const cost = node.op.cost(s.info!);
      flops += cost.flops;
      bytes += cost.bytes;
      ctx.records.push({ name: s.name, op: node.op.name, kind: 'op', device: 'cpu', start, end: performance.now(), bytesMoved: 0, run: ctx.run });
    }
    this.outputs = [...plan.outputIndex].map(([name, i]) => [name, tensors[i]!]);
    this.tags = addon.recordingTags(rec);
    this.timings = new Float64Array(this.tags.length);
    this.inline = flops < INLINE_FLOPS && bytes < INLINE_BYTES;
    this.state = 'ready';
  }

  private async replay(feeds: ReadonlyMap<string, Tensor>, ctx: RunContext): Promise<void> {
    this.copyIn(feeds);
    const rec = this.rec!;
    const start = performance.now();
    const r = queueFor('cpu').launch(ctx.priority, () => native!.programRun(rec, this.timings, this.inline));
    if (isThenable(r)) await r;
    // Records are built only if the profile is read (this run's timings stay until the next replay).
    ctx.lazyRecords = () => (this.lastRun === run ? this.records(start, run) : []);
    const run = (this.lastRun = ctx.run);
  }

  /** Per-step records from the native per-launch times of the last replay, laid end to end from its start. */
  private records(start: number, run: number): StepRecord[] {
    const { steps } = this.plan;
    const out: StepRecord[] = [];
    let t = start;
    for (let i = 0; i < this.tags.length; ) {
      const tag = this.tags[i]!;
      const begin = t;
      for (; i < this.tags.length && this.tags[i] === tag; i++) t += this.timings[i]!;
      const s = steps[tag]!;
      out.push({ name: s.name, op: s.node!.op.name, kind: 'op', device: 'cpu', start: begin, end: t, bytesMoved: 0, run });
    }
    return out;
  }

  private copyIn(feeds: ReadonlyMap<string, Tensor>): void {
    for (const [name, own] of this.feeds) {
      const v = feeds.get(name)!.view();
      const n = sizeOf(v.shape);
      const dst = own.storage('replay').data as TypedArray;
      if (isContiguous(v.shape, v.strides)) dst.set(v.data.subarray(v.offset, v.offset + n) as never);
      else dst.set(gatherHost(v) as never);
    }
  }

  /** The outputs as new tensors: the recording's own buffers are overwritten by the next run. */
  private copyOut(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of this.outputs) out[name] = tensorOf(hostStorage(t.dtype, gatherHost(t.view())), t.shape);
    return out;
  }

  private off(reason: string): void {
    this.state = 'off';
    this.reason ??= reason;
    if (this.rec) {
      try {
        native!.recordingFree(this.rec);
      } catch {
        // still running (a dispose during a run): the garbage collector frees it once the run settles
      }
      this.rec = undefined;
    }
    for (const t of this.held) t.dispose();
    this.held.length = 0;
    this.feeds.clear();
    this.outputs = [];
  }
}
