/**
 * A plan: the compiled form of a graph for one set of input shapes. Built by passes 2-4
 * (placement, schedule with transfers, memory plan) over the fused graph, cached by the model
 * per input shapes. It owns the per-device resident constants and a pool of CPU arenas.
 */
import { LeptonError, show } from '../errors.js';
import { arrayCtor, type TypedArray } from '../dtype.js';
import { contiguousStrides, sizeOf } from '../shape.js';
import { hostStorage } from '../storage.js';
import { tensorOf, type Tensor } from '../tensor.js';
import type { FusedGraph } from './passes/fuse.js';
import { planMemory, type DeviceMemory } from './passes/memory.js';
import { place, type Target, type ValueState } from './passes/place.js';
import { schedule, type PlanStep, type PlanValue } from './passes/schedule.js';

export interface PlacementEntry {
  node: string;
  op: string;
  device: string;
  reason: string;
  /** Source nodes fused into this one (relu, bias add, batchNorm). */
  fused: readonly string[];
  /** Estimated milliseconds on that device, including moving its inputs in. */
  estimatedMs: number;
}

export class Plan {
  readonly placement: PlacementEntry[];
  readonly memory: Record<string, DeviceMemory>;
  readonly steps: PlanStep[];
  readonly values: PlanValue[];
  readonly inputIndex: Map<string, number>;
  readonly outputIndex: Map<string, number>;
  /** Estimated seconds for one run if steps ran one after another. */
  readonly estimatedSec: number;
  /** For each plan value: the value whose storage it uses (itself unless a view). */
  readonly rootOf: number[];
  readonly aliases: number[][];
  /** Reads per root value, and whether its buffer may be released after the last. */
  readonly readCounts: number[];
  readonly releasable: boolean[];
  /** Per step: the steps that wait on it, and how many steps it waits on (the executor's ready counts). */
  readonly dependents: number[][];
  readonly depCounts: number[];
  /** Devices that run at least one step. */
  readonly stepDevices: string[];
  /** Fallbacks decided at plan time (for the model's events). */
  readonly fallbacks: PlacementEntry[];
  private readonly slotBytes: Map<string, number[]>;
  private readonly arenaPool: (Tensor | undefined)[][] = [];
  private readonly residents = new Map<number, Tensor>();
  private constantsResident = false;
  private uploading: Promise<void> | undefined;

  /** True once every constant is resident on its device. */
  get constantsReady(): boolean {
    return this.constantsResident;
  }

  /**
   * @param devices the healthy devices placement chose from (the plan's identity, beside the input shapes)
   */
  constructor(readonly key: string, graph: FusedGraph, inputShapes: ReadonlyMap<string, readonly number[]>, targets: readonly Target[], cpu: Target,
    readonly devices: readonly string[] = targets.map((t) => t.backend.id)) {
    // Shapes of inputs and constants; the rest is inferred node by node during placement.
    const states = new Map<number, ValueState>();
    for (const [name, v] of graph.inputs) {
      const shape = inputShapes.get(name)!;
      states.set(v.id, { shape, dtype: v.dtype, device: 'cpu', strides: contiguousStrides(shape), offset: 0 });
    }
    for (const n of graph.nodes) {
      for (const v of n.inputs) {
        if (v?.constant) states.set(v.id, { shape: v.shape, dtype: v.dtype, device: 'cpu', strides: contiguousStrides(v.shape), offset: 0 });
      }
    }
    for (const v of graph.outputs.values()) {
      if (v.constant) states.set(v.id, { shape: v.shape, dtype: v.dtype, device: 'cpu', strides: contiguousStrides(v.shape), offset: 0 });
    }

    // Pass 2: placement.
    let placed;
    try {
      placed = place(graph.nodes, states, targets, cpu);
    } catch (err) {
      // Shapes were checked at build time with dynamic dims; a concrete size can still be wrong.
      if (err instanceof LeptonError) throw new LeptonError(err.code, `run: inputs ${show(key)} do not fit the graph: ${err.message}`, { cause: err });
      throw err;
    }
    this.placement = placed.placed.map((p) => ({
      node: p.node.name, op: p.node.op.name, device: p.device, reason: p.reason, fused: p.node.fused, estimatedMs: p.estSec * 1000,
    }));
    this.fallbacks = this.placement.filter((_, i) => placed.placed[i]!.fallback);
    this.estimatedSec = placed.placed.reduce((s, p) => s + p.estSec, 0);

    // Pass 3: schedule, with explicit transfers.
    const s = schedule(placed.placed, placed.values, graph.inputs, graph.outputs);
    this.steps = s.steps;
    this.values = s.values;
    this.inputIndex = s.inputIndex;
    this.outputIndex = s.outputIndex;

    // Pass 4: memory plan.
    const m = planMemory(this.steps, this.values);
    this.memory = m.memory;
    this.slotBytes = m.slotBytes;

    const root = (i: number): number => (this.values[i]!.aliasOf === undefined ? i : root(this.values[i]!.aliasOf!));
    this.rootOf = this.values.map((v) => root(v.index));
    this.aliases = this.values.map(() => []);
    this.readCounts = this.values.map(() => 0);
    this.releasable = this.values.map(() => true);
    for (const v of this.values) {
      const r = this.rootOf[v.index]!;
      this.aliases[r]!.push(v.index);
      this.readCounts[r]! += v.readers.length;
      if (v.outputs.length || v.kind !== 'step') this.releasable[r] = false;
    }
    this.dependents = this.steps.map(() => []);
    for (const st of this.steps) for (const d of st.deps) this.dependents[d]!.push(st.index);
    this.depCounts = this.steps.map((st) => st.deps.size);
    this.stepDevices = [...new Set(this.steps.map((st) => st.device))];
  }

  /** A constant's copy on its device (uploaded on first use, then kept). */
  resident(v: PlanValue): Tensor {
    let t = this.residents.get(v.index);
    if (!t) {
      const c = v.source.constant!;
      t = v.device === 'cpu' ? tensorOf(c.storage('constant'), c.shape, c.strides, c.offset) : c.to(v.device);
      this.residents.set(v.index, t);
    }
    return t;
  }

  /** Resolves once every constant is resident on its device (uploads start on the first call). */
  residentsReady(): Promise<void> | undefined {
    if (this.constantsResident) return undefined;
    this.uploading ??= Promise.all(this.values.filter((v) => v.kind === 'constant').map((v) => this.resident(v).ready())).then(
      () => { this.constantsResident = true; },
      (err) => { this.uploading = undefined; throw err; },
    );
    return this.uploading;
  }

  /**
   * CPU arenas for one run: one ArrayBuffer per slot, and a tensor over it for each value planned
   * into a slot (by plan value index). Runs in flight each hold their own; sets are pooled.
   */
  takeArenas(): (Tensor | undefined)[] {
    const free = this.arenaPool.pop();
    if (free) return free;
    const buffers = (this.slotBytes.get('cpu') ?? []).map((b) => new ArrayBuffer(Math.max(8, Math.ceil(b / 8) * 8)));
    return this.values.map((v) => {
      if (v.slot === undefined || v.device !== 'cpu' || v.kind !== 'step' || this.steps[v.producer!]!.kind !== 'op') return undefined;
      const n = sizeOf(v.shape);
      return tensorOf(hostStorage(v.dtype, new (arrayCtor(v.dtype))(buffers[v.slot]!, 0, n) as TypedArray), v.shape);
    });
  }

  returnArenas(a: (Tensor | undefined)[]): void {
    this.arenaPool.push(a);
  }

  /** Frees resident constants on devices. */
  dispose(): void {
    for (const t of this.residents.values()) t.dispose();
    this.residents.clear();
    this.constantsResident = false;
    this.uploading = undefined;
    this.arenaPool.length = 0;
  }
}
