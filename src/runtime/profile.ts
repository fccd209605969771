/** Per-step timing of a run, and its chrome://tracing (Perfetto) form. */
import { writeFileSync } from 'node:fs';

export interface StepRecord {
  /** Node name, or `${value}->${device}` for a transfer. */
  name: string;
  op: string;
  kind: 'op' | 'view' | 'transfer' | 'fallback';
  device: string;
  /** Milliseconds since the process's time origin (performance.now()). */
  start: number;
  end: number;
  /** Bytes copied between devices (transfers). */
  bytesMoved: number;
  /** Which run (runs of one model are numbered). */
  run: number;
}

export class Profile {
  constructor(readonly records: readonly StepRecord[]) {}

  /** Per-node summary: device, milliseconds, bytes moved. */
  get nodes(): { name: string; op: string; device: string; ms: number; bytesMoved: number; kind: StepRecord['kind'] }[] {
    return this.records.map((r) => ({ name: r.name, op: r.op, device: r.device, ms: r.end - r.start, bytesMoved: r.bytesMoved, kind: r.kind }));
  }

  /** Wall time from the first start to the last end, ms. */
  get totalMs(): number {
    if (!this.records.length) return 0;
    return Math.max(...this.records.map((r) => r.end)) - Math.min(...this.records.map((r) => r.start));
  }

  get bytesMoved(): number {
    return this.records.reduce((s, r) => s + r.bytesMoved, 0);
  }

  /** Chrome trace event format: one thread per device; written to `path` when given. */
  toTrace(path?: string): { traceEvents: object[] } {
    const devices = [...new Set(this.records.map((r) => r.device))];
    const tid = (d: string) => devices.indexOf(d) + 1;
    const traceEvents: object[] = devices.map((d) => ({ name: 'thread_name', ph: 'M', pid: 1, tid: tid(d), args: { name: d } }));
    for (const r of this.records) {
      traceEvents.push({
        name: r.name, cat: r.kind, ph: 'X', pid: 1, tid: tid(r.device), ts: r.start * 1000, dur: Math.max(0, (r.end - r.start) * 1000),
        args: { op: r.op, device: r.device, bytesMoved: r.bytesMoved, run: r.run },
      });
    }
    const trace = { traceEvents };
    if (path) writeFileSync(path, JSON.stringify(trace));
    return trace;
  }
}
