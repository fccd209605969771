/**
 * lc.compile(graph, options) and the compiled model. Compiling runs the passes in order:
 *   1. fusion         (once: passes/fuse.ts)
 *   2. placement      (per input shapes: passes/place.ts)
 *   3. schedule       (explicit transfers: passes/schedule.ts)
 *   4. memory plan    (slots and reuse: passes/memory.ts)
 * and caches the plan of passes 2-4 per set of input shapes. model.run executes a plan through
 * the per-device queues (src/runtime/executor.ts).
 */
import { LeptonError, show } from '../errors.js';
import { deviceFor, devices as allDevices } from '../runtime/devices.js';
import { deviceProfile, type DeviceProfile } from '../runtime/calibrate.js';
import { emitFallback, type FallbackEvent, type FallbackListener } from '../runtime/events.js';
import { executePlan, type RunContext } from '../runtime/executor.js';
import { isHealthy } from '../runtime/health.js';
import { Profile, type StepRecord } from '../runtime/profile.js';
import { Replay } from '../runtime/replay.js';
import { concat } from '../ops/layout.js';
import { apply1 } from '../runtime/eager.js';
import { Tensor, tensorOf } from '../tensor.js';
import type { GraphIR } from './ir.js';
import { fuse, type FusedGraph } from './passes/fuse.js';
import type { DeviceMemory } from './passes/memory.js';
import type { Target } from './passes/place.js';
import { Plan, type PlacementEntry } from './plan.js';

export interface CompileOptions {
  /** Devices to place on, in order of preference: kinds ('webgpu') or ids ('webgpu:0'). Default: every available device, GPUs first. The CPU is always the fallback. */
  devices?: readonly string[];
  /** Run pass 1 (default true). */
  fuse?: boolean;
  /** Concrete shapes for dynamic inputs, used for the plan compile() builds up front (default: -1 -> 1). */
  shapes?: Readonly<Record<string, readonly number[]>>;
}

export interface RunOptions {
  /** Higher runs first when runs queue on a device (default 0). */
  priority?: number;
  /** 'batch': split dim 0 of the inputs across the devices in proportion to their speed, run the parts concurrently, join. */
  split?: 'batch' | 'none';
}

/** The passes as run, in order (model.passes). */
export interface PassReport {
  readonly pass: number;
  readonly name: string;
  readonly detail: string;
}

const DEFAULT_ORDER = ['cuda', 'webgpu', 'cpu'];

export async function compile(graph: GraphIR, options: CompileOptions = {}): Promise<Model> {
  if (!graph || !(graph.nodes && graph.inputs && graph.outputs)) throw new LeptonError('BAD_ARGUMENT', `compile: graph must be an lc.Graph, got ${show(graph)}`);
  if (graph.outputs.size === 0) throw new LeptonError('BAD_ARGUMENT', 'compile: graph must have at least one output (graph.output(name, value))');
  const { ids, skipped } = resolveDevices(options.devices);
  const cpu = deviceFor('cpu');
  const profiles = new Map(await Promise.all([...new Set([...ids, 'cpu'])].map(async (id) => [id, await deviceProfile(deviceFor(id))] as const)));
  const cpuOnly = ids.every((id) => id === 'cpu');
  const fused = options.fuse === false ? noFusion(graph) : await fuse(graph, { cpuOnly });
  // Plans that end up on the CPU alone (a split's single-device runs, every plan once the other
  // devices are unhealthy) take the CPU-only fusions too (conv + max pool), on top of the fused
  // graph: its folded constants are shared, not folded again.
  const cpuFused = options.fuse === false || cpuOnly ? fused : await fuse(fused, { cpuOnly: true });
  const model = new Model(fused, cpuFused, ids, skipped, profiles, { backend: cpu, profile: profiles.get('cpu')! }, graph.nodes.length);
  const shapes = new Map([...graph.inputs].map(([name, v]) => [name, options.shapes?.[name] ?? v.shape.map((d) => (d < 0 ? 1 : d))]));
  model.plan(shapes);
  return model;
}

function noFusion(g: GraphIR): FusedGraph {
  return { nodes: g.nodes.map((n) => ({ ...n, fused: [] })), inputs: g.inputs, outputs: g.outputs };
}

/**
 * Device ids from kinds or ids, in the order given. A known but unavailable device (no CUDA on
 * this machine) is skipped with its reason, so one device list serves every machine; a name that
 * matches no device at all is refused.
 */
function resolveDevices(requested: readonly string[] | undefined): { ids: string[]; skipped: { device: string; reason: string }[] } {
  const all = allDevices();
  const want = requested ?? DEFAULT_ORDER;
  if (!Array.isArray(want)) throw new LeptonError('BAD_ARGUMENT', `compile: devices must be an array like ["webgpu", "cpu"], got ${show(want)}`);
  const ids: string[] = [];
  const skipped: { device: string; reason: string }[] = [];
  for (const w of want) {
    const matches = all.filter((d) => d.id === w || d.kind === w);
    if (matches.length === 0) {
      throw new LeptonError('BAD_ARGUMENT', `compile: devices must name known devices or kinds (${all.map((d) => d.id).join(', ')}), got ${show(w)}`);
    }
    for (const m of matches) {
      if (!m.available) skipped.push({ device: m.id, reason: m.reason ?? 'unavailable' });
      else if (!ids.includes(m.id)) ids.push(m.id);
    }
  }
  return { ids, skipped };
}

export class Model {
  private readonly plans = new Map<string, Plan>();
  /** Native replays of all-CPU plans (src/runtime/replay.ts). */
  private readonly replays = new Map<Plan, Replay>();
  private last: Plan | undefined;
  private runs = 0;
  private lastRecords: StepRecord[] | (() => StepRecord[]) = [];
  private readonly listeners: FallbackListener[] = [];
  private readonly splitSpeed = new Map<string, number>();
  /** Rows/s of split runs and of the fastest device alone (moving averages), for split: 'batch'. */
  private readonly splitStats: { split?: number; single?: number; runs: number; recheck: number } = { runs: 0, recheck: SPLIT_RECHECK };
  readonly passes: PassReport[];

  /** @internal Made by lc.compile. */
  constructor(private readonly graph: FusedGraph, private readonly cpuGraph: FusedGraph, readonly devices: readonly string[],
    /** Requested devices left out because they are unavailable here, with the reason. */
    readonly skippedDevices: readonly { device: string; reason: string }[], private readonly profiles: ReadonlyMap<string, DeviceProfile>,
    private readonly cpu: Target, sourceNodes: number) {
    const fusedAway = sourceNodes - graph.nodes.length;
    this.passes = [
      { pass: 1, name: 'fusion', detail: `${sourceNodes} nodes -> ${graph.nodes.length} (${fusedAway} folded into conv2d/matmul/gemm)` },
      { pass: 2, name: 'placement', detail: `per input shapes, over ${devices.join(', ') || 'cpu'} (cpu is the fallback)` },
      { pass: 3, name: 'schedule', detail: 'steps with explicit transfers where devices meet' },
      { pass: 4, name: 'memory plan', detail: 'slots reused after their last reader, per device' },
    ];
  }

  /** Node -> device and why, for the most recent plan. */
  get placement(): PlacementEntry[] {
    return this.last!.placement;
  }

  /** Planned peak bytes per device vs the sum of all buffers, for the most recent plan. */
  get memory(): Record<string, DeviceMemory> {
    return this.last!.memory;
  }

  /**
   * Whether runs of the most recent plan replay natively recorded kernel launches (all-CPU plans,
   * from their third run: src/runtime/replay.ts), and if not, why.
   */
  get replay(): { state: string; reason?: string } {
    const r = this.last && this.replays.get(this.last);
    return r ? r.status : { state: 'new' };
  }

  /** Input names with their (possibly dynamic) shapes. */
  get inputs(): Record<string, readonly number[]> {
    return Object.fromEntries([...this.graph.inputs].map(([k, v]) => [k, v.shape]));
  }

  get outputs(): string[] {
    return [...this.graph.outputs.keys()];
  }

  /** Subscribes to fallback events of this model ('fallback' is the only event). */
  on(event: 'fallback', listener: FallbackListener): () => void {
    if (event !== 'fallback') throw new LeptonError('BAD_ARGUMENT', `model.on: event must be "fallback", got ${show(event)}`);
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** The plan for these input shapes (passes 2-4), cached; `only` restricts placement to one device. */
  plan(shapes: ReadonlyMap<string, readonly number[]>, only?: string): Plan {
    const ids = (only ? [only] : this.devices).filter(isHealthy);
    const key = `${[...shapes].map(([k, s]) => `${k}:${s.join('x')}`).join(',')}@${ids.join('+')}`;
    let plan = this.plans.get(key);
    if (!plan) {
      const targets = ids.map((id) => ({ backend: deviceFor(id), profile: this.profiles.get(id)! }));
      const cpuOnly = ids.every((id) => id === 'cpu');
      plan = new Plan(key, cpuOnly ? this.cpuGraph : this.graph, shapes, targets, this.cpu, ids);
      // Placement put every node on the CPU anyway (e.g. beside a software GPU): the CPU-only
      // fusions apply, and the CPU-only graph's plan replays natively like a CPU model's.
      if (!cpuOnly && this.cpuGraph !== this.graph && plan.steps.every((st) => st.device === 'cpu')) {
        plan.dispose();
        plan = new Plan(key, this.cpuGraph, shapes, targets, this.cpu, ids);
      }
      this.plans.set(key, plan);
      for (const f of plan.fallbacks) this.emit({ kind: 'unsupported', op: f.op, node: f.node, from: ids.join('+') || 'none', to: 'cpu', reason: f.reason });
    }
    if (!only) this.last = plan;
    return plan;
  }

  /**
   * The most recent plan when these inputs have its shapes and its devices are still healthy: the
   * common case of repeated runs, without building the plan key.
   */
  private lastPlanFor(feeds: ReadonlyMap<string, Tensor>): Plan | undefined {
    const plan = this.last;
    if (!plan || plan.devices.some((d) => !isHealthy(d)) || this.devices.filter(isHealthy).length !== plan.devices.length) return undefined;
    for (const [name, t] of feeds) {
      const i = plan.inputIndex.get(name);
      if (i === undefined) return undefined;
      const shape = plan.values[i]!.shape;
      if (shape.length !== t.shape.length || shape.some((d, k) => d !== t.shape[k])) return undefined;
    }
    return plan;
  }

  /** Runs the model. Inputs may be on any device; outputs stay on the device that produced them. */
  async run(inputs: Readonly<Record<string, Tensor>>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    const feeds = this.checkInputs(inputs);
    const priority = options.priority ?? 0;
    if (typeof priority !== 'number' || Number.isNaN(priority)) throw new LeptonError('BAD_ARGUMENT', `run: priority must be a number, got ${show(priority)}`);
    const records: StepRecord[] = [];
    const ctx: RunContext = { priority, run: ++this.runs, records, emit: (e: FallbackEvent) => this.emit(e) };
    // The run holds its own handles on the inputs (the caller may dispose theirs meanwhile);
    // external inputs must be ready before any step reads them.
    const held = new Map([...feeds].map(([k, t]) => [k, tensorOf(t.storage('run'), t.shape, t.strides, t.offset)]));
    try {
      await Promise.all([...held.values()].map((t) => t.ready()));
      let out: Record<string, Tensor>;
      if (options.split === 'batch') out = await this.runSplit(held, ctx);
      else {
        const plan = this.lastPlanFor(held) ?? this.plan(new Map([...held].map(([k, t]) => [k, t.shape])));
        if (!plan.constantsReady) await this.residentsReady(plan);
        out = await this.execute(plan, held, ctx);
      }
      this.lastRecords = ctx.lazyRecords && records.length === 0 ? ctx.lazyRecords : records;
      return out;
    } finally {
      for (const t of held.values()) t.dispose();
    }
  }

  /** Runs a plan: a native replay when the plan has one ready (all-CPU plans), else the executor. */
  private async execute(plan: Plan, feeds: Map<string, Tensor>, ctx: Parameters<typeof executePlan>[2]): Promise<Record<string, Tensor>> {
    let replay = this.replays.get(plan);
    if (!replay) this.replays.set(plan, (replay = new Replay(plan)));
    return (await replay.run(feeds, ctx)) ?? (await executePlan(plan, feeds, ctx));
  }

  /** Per-node device, time and bytes moved of the last run; .toTrace(path?) gives chrome://tracing JSON. */
  profile(): Profile {
    return new Profile(typeof this.lastRecords === 'function' ? this.lastRecords() : this.lastRecords);
  }

  /** Frees device copies of constants held by cached plans. */
  dispose(): void {
    for (const r of this.replays.values()) r.dispose();
    this.replays.clear();
    for (const p of this.plans.values()) p.dispose();
    this.plans.clear();
  }

  /**
   * split: 'batch'. Each device gets a share of dim 0 in proportion to its speed: at first the
   * inverse of its plan's estimated time, then the rows/s it actually reached in earlier split runs
   * (a moving average). The parts run concurrently, each placed on its own device (with the CPU as
   * fallback), and the outputs are joined along dim 0 on the host.
   */
  private async runSplit(feeds: Map<string, Tensor>, ctx: Parameters<typeof executePlan>[2]): Promise<Record<string, Tensor>> {
    const batch = new Set([...feeds.values()].map((t) => t.shape[0]));
    if (batch.size !== 1 || [...this.graph.inputs.values()].some((v) => v.shape[0] !== -1)) {
      throw new LeptonError('BAD_ARGUMENT', `run: split "batch" needs every input to have a dynamic dim 0 (-1) and the same batch size, got ${show([...feeds.values()].map((t) => t.shape))}`);
    }
    const n = [...batch][0]!;
    const ids = this.devices.filter(isHealthy);
    const shapesFor = (rows: number) => new Map([...feeds].map(([k, t]) => [k, [rows, ...t.shape.slice(1)]]));
    const speed = ids.map((id) => this.splitSpeed.get(id) ?? n / Math.max(1e-9, this.plan(shapesFor(n), id).estimatedSec));
    const total = speed.reduce((a, b) => a + b, 0);
    // Shares in units of a sixteenth of the batch: each distinct part size is a plan of its own (and
    // on a GPU, its own pipelines), and a device worth less than a unit is left out (its part would
    // cost more in launches and transfers than it saves).
    const unit = Math.max(1, Math.ceil(n / SPLIT_UNITS));
    const rows = speed.map((s) => Math.floor((n * s) / total / unit) * unit);
    rows[speed.indexOf(Math.max(...speed))]! += n - rows.reduce((a, b) => a + b, 0);
    const parts = ids.map((id, i) => ({ id, rows: rows[i]! })).filter((p) => p.rows > 0);
    // Splitting pays only when the devices do not slow each other down (a software GPU shares the
    // CPU's cores): once both were measured, runs take the better of the split and the fastest
    // device alone, trying the split again after SPLIT_RECHECK runs, then after twice as many each
    // time it loses again (a losing split run costs more than it can win back), back to
    // SPLIT_RECHECK once it wins.
    const stats = this.splitStats;
    stats.runs++;
    const recheck = stats.runs >= stats.recheck;
    if (recheck) stats.runs = 0;
    const single = parts.length <= 1 || (stats.split !== undefined && (stats.single === undefined || (stats.single > stats.split && !recheck)));
    const t0 = performance.now();
    if (single) {
      const id = parts.length ? parts.reduce((a, b) => (b.rows > a.rows ? b : a)).id : undefined;
      const plan = this.plan(shapesFor(n), id);
      await this.residentsReady(plan);
      const out = await onHost(await this.execute(plan, feeds, ctx));
      if (parts.length > 1) stats.single = ema(stats.single, n / ((performance.now() - t0) / 1000));
      return out;
    }
    let start = 0;
    const results = await Promise.all(parts.map(async (p) => {
      const slice = new Map([...feeds].map(([k, t]) => [k, sliceRows(t, start, p.rows)]));
      start += p.rows;
      const plan = this.plan(shapesFor(p.rows), p.id);
      await this.residentsReady(plan);
      const t1 = performance.now();
      try {
        // Timed until the part's outputs are on the host: a GPU's steps return once encoded.
        const host = await onHost(await this.execute(plan, slice, ctx));
        this.splitSpeed.set(p.id, ema(this.splitSpeed.get(p.id), p.rows / Math.max(1e-6, (performance.now() - t1) / 1000)));
        return host;
      } finally {
        for (const t of slice.values()) t.dispose();
      }
    }));
    const out: Record<string, Tensor> = {};
    for (const name of this.outputs) {
      out[name] = apply1(concat, results.map((r) => r[name]!), { axis: 0 });
      await out[name].ready();
      for (const r of results) r[name]!.dispose();
    }
    const rate = n / ((performance.now() - t0) / 1000);
    if (stats.single !== undefined) stats.recheck = rate < stats.single ? Math.min(stats.recheck * 2, SPLIT_RECHECK_MAX) : SPLIT_RECHECK;
    stats.split = ema(stats.split, rate);
    return out;
  }

  /** Rows/s each device reached in split runs (moving average), by device id. */
  get splitRates(): Record<string, number> {
    return Object.fromEntries(this.splitSpeed);
  }

  private async residentsReady(plan: Plan): Promise<void> {
    // A failed upload is left on the constant's storage: the executor treats it as that device failing.
    const pending = plan.residentsReady();
    if (pending) await pending.catch(() => undefined);
  }

  private checkInputs(inputs: Readonly<Record<string, Tensor>>): Map<string, Tensor> {
    if (!inputs || typeof inputs !== 'object') throw new LeptonError('BAD_ARGUMENT', `run: inputs must be an object of tensors by name, got ${show(inputs)}`);
    const feeds = new Map<string, Tensor>();
    for (const [name, v] of this.graph.inputs) {
      const t = inputs[name];
      if (!(t instanceof Tensor)) throw new LeptonError('BAD_ARGUMENT', `run: input ${show(name)} must be a Tensor, got ${show(t)}`);
      t.storage('run', `input ${show(name)}`);
      if (t.dtype !== v.dtype) throw new LeptonError('DTYPE_UNSUPPORTED', `run: input ${show(name)} dtype must be ${v.dtype}, got ${t.dtype}`);
      if (t.rank !== v.shape.length || v.shape.some((d, i) => d >= 0 && d !== t.shape[i])) {
        throw new LeptonError('SHAPE_MISMATCH', `run: input ${show(name)} shape must be ${show(v.shape)} (-1: any), got ${show(t.shape)}`);
      }
      feeds.set(name, t);
    }
    for (const name of Object.keys(inputs)) {
      if (!this.graph.inputs.has(name)) throw new LeptonError('BAD_ARGUMENT', `run: input ${show(name)} must be one of the graph's inputs (${[...this.graph.inputs.keys()].join(', ')})`);
    }
    return feeds;
  }

  private emit(e: FallbackEvent): void {
    for (const l of [...this.listeners]) l(e);
    emitFallback(e);
  }
}

/** Split runs try splitting again this often after running on one device was found faster. */
const SPLIT_RECHECK = 16;
const SPLIT_RECHECK_MAX = 1024;
/** Batch split granularity: parts are whole sixteenths of the batch. */
const SPLIT_UNITS = 16;

function ema(before: number | undefined, now: number): number {
  return before === undefined ? now : 0.5 * before + 0.5 * now;
}

/** The outputs copied to the host and ready (device copies released). */
async function onHost(out: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const host: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(out)) {
    host[name] = t.device === 'cpu' ? t : t.to('cpu');
    await host[name].ready();
    if (host[name] !== t) t.dispose();
  }
  return host;
}

/** Rows [start, start + rows) of dim 0: a view sharing storage when the tensor is row-major on any device. */
function sliceRows(t: Tensor, start: number, rows: number): Tensor {
  const storage = t.storage('run');
  if (!t.contiguous) throw new LeptonError('BAD_ARGUMENT', `run: split "batch" needs contiguous inputs, got strides ${show(t.strides)}`);
  return tensorOf(storage, [rows, ...t.shape.slice(1)], t.strides, t.offset + start * (t.strides[0] ?? 0));
}
