/**
 * Pass 4, memory plan (per device). Every intermediate value gets a slot; a slot is reused
 * once every reader of its last occupant is done. Walking the steps in order, a value's
 * lifetime ends at its last reader (a view's readers count for the value it views). Reuse adds
 * dependencies from the new producer to the old occupant's readers, so the plan stays safe when
 * devices run steps concurrently. Graph outputs (and what they view) never take a slot: they
 * belong to the caller after the run. The CPU executes slots as arenas; other devices allocate
 * per run and release each buffer after its last reader (their own allocators pool).
 */
import type { PlanStep, PlanValue } from './schedule.js';

export interface DeviceMemory {
  /** Planned peak: the slots' sizes plus graph outputs. */
  peakBytes: number;
  /** What allocating every buffer separately would take. */
  totalBytes: number;
  /** Number of slots and of buffers they serve. */
  slots: number;
  buffers: number;
}

export function planMemory(steps: readonly PlanStep[], values: PlanValue[]): { memory: Record<string, DeviceMemory>; slotBytes: Map<string, number[]> } {
  const root = (v: PlanValue): PlanValue => (v.aliasOf === undefined ? v : root(values[v.aliasOf]!));
  // Last reader and escaping (output) status per root value.
  const lastRead = new Map<number, number>();
  const readersOf = new Map<number, number[]>();
  const escapes = new Set<number>();
  for (const v of values) {
    const r = root(v);
    if (v.outputs.length) escapes.add(r.index);
    const list = readersOf.get(r.index) ?? [];
    list.push(...v.readers);
    readersOf.set(r.index, list);
    lastRead.set(r.index, Math.max(lastRead.get(r.index) ?? -1, v.producer ?? -1, ...v.readers));
  }

  const slotBytes = new Map<string, number[]>();
  const memory: Record<string, DeviceMemory> = {};
  const free = new Map<string, { slot: number; readers: number[] }[]>();
  const live: { value: PlanValue; until: number }[] = [];
  for (const step of steps) {
    // Values whose last reader came before this step give their slot back.
    for (let i = live.length - 1; i >= 0; i--) {
      const l = live[i]!;
      if (l.until < step.index) {
        free.get(l.value.device)!.push({ slot: l.value.slot!, readers: [...(readersOf.get(l.value.index) ?? []), l.value.producer!] });
        live.splice(i, 1);
      }
    }
    if (step.kind === 'view') continue;
    for (const o of step.outputs) {
      const v = values[o]!;
      const mem = (memory[v.device] ??= { peakBytes: 0, totalBytes: 0, slots: 0, buffers: 0 });
      mem.totalBytes += v.bytes;
      mem.buffers++;
      if (escapes.has(v.index)) {
        mem.peakBytes += v.bytes;
        continue;
      }
      const sizes = slotBytes.get(v.device) ?? [];
      slotBytes.set(v.device, sizes);
      const pool = free.get(v.device) ?? [];
      free.set(v.device, pool);
      // Best fit: the smallest free slot that holds it, else the largest free one (grown).
      let pick = -1;
      for (let i = 0; i < pool.length; i++) {
        const s = sizes[pool[i]!.slot]!, best = pick < 0 ? -1 : sizes[pool[pick]!.slot]!;
        if (pick < 0 || (s >= v.bytes ? best < v.bytes || s < best : best < v.bytes && s > best)) pick = i;
      }
      if (pick >= 0) {
        const [{ slot, readers }] = pool.splice(pick, 1) as [{ slot: number; readers: number[] }];
        v.slot = slot;
        sizes[slot] = Math.max(sizes[slot]!, v.bytes);
        for (const r of readers) if (r !== step.index) step.deps.add(r);
      } else {
        v.slot = sizes.length;
        sizes.push(v.bytes);
      }
      live.push({ value: v, until: lastRead.get(v.index)! });
    }
  }
  for (const [device, sizes] of slotBytes) {
    const mem = memory[device]!;
    mem.slots = sizes.length;
    mem.peakBytes += sizes.reduce((a, b) => a + b, 0);
  }
  return { memory, slotBytes };
}
