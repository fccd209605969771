/**
 * Device throughput, measured once per device and cached on disk
 * ($LEPTON_CACHE_DIR, else ~/.cache/lepton-compute/calibration.json).
 * A backend may declare its profile in info().profile instead (test devices do).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../backends/backend.js';
import { binaryOps } from '../ops/binary.js';
import { matmul } from '../ops/matmul.js';
import type { OpDef, OpInfo } from '../ops/op.js';
import { sizeOf } from '../shape.js';
import { tensorOf, type Tensor } from '../tensor.js';

export interface DeviceProfile {
  /** Sustained flop/s on a mid-size matmul. */
  flopsPerSec: number;
  /** Bytes/s on a large elementwise add (read + write). */
  bytesPerSec: number;
  /** Seconds per launch of a tiny op. */
  launchSec: number;
  /** Host <-> device copy rate, bytes/s (Infinity for the host itself). */
  transferBytesPerSec: number;
  /** Seconds of fixed cost per copy. */
  transferLatencySec: number;
  /** Where the numbers came from. */
  source?: 'declared' | 'cache' | 'measured';
}

const CACHE_VERSION = 2;
const memo = new Map<string, Promise<DeviceProfile>>();

export function cacheFile(): string {
  const dir = process.env.LEPTON_CACHE_DIR ?? join(homedir(), '.cache', 'lepton-compute');
  return join(dir, 'calibration.json');
}

/** The key a device's numbers are cached under: id plus what identifies the hardware and kernels. */
function cacheKey(b: Backend): string {
  const i = b.info();
  return [b.id, i.name, i.kernels ?? '', i.isa ?? '', i.threads ?? '', `v${CACHE_VERSION}`].join('|');
}

function readCache(): Record<string, DeviceProfile> {
  try {
    return JSON.parse(readFileSync(cacheFile(), 'utf8')) as Record<string, DeviceProfile>;
  } catch {
    return {};
  }
}

function writeCache(key: string, p: DeviceProfile): void {
  try {
    const all = readCache();
    all[key] = p;
    mkdirSync(join(cacheFile(), '..'), { recursive: true });
    writeFileSync(cacheFile(), JSON.stringify(all, null, 1));
  } catch {
    // a read-only home only costs a re-measure next time
  }
}

/** The profile of a device: declared, cached, or measured now (once per process). */
export function deviceProfile(b: Backend): Promise<DeviceProfile> {
  const declared = b.info().profile as DeviceProfile | undefined;
  if (declared) return Promise.resolve({ ...declared, source: 'declared' });
  const key = cacheKey(b);
  let p = memo.get(key);
  if (!p) {
    const cached = readCache()[key];
    p = cached ? Promise.resolve({ ...cached, transferBytesPerSec: cached.transferBytesPerSec ?? Infinity, source: 'cache' as const }) : measure(b).then((m) => (writeCache(key, m), { ...m, source: 'measured' as const }));
    memo.set(key, p);
    p.catch(() => memo.delete(key));
  }
  return p;
}

/** Estimated seconds for a node of this cost on this device (no transfers). */
export function estimateSec(p: DeviceProfile, flops: number, bytes: number): number {
  return p.launchSec + flops / p.flopsPerSec + bytes / p.bytesPerSec;
}

/** Estimated seconds to move `bytes` between two devices (through the host). */
export function transferSec(from: DeviceProfile, to: DeviceProfile, bytes: number): number {
  const rate = Math.min(from.transferBytesPerSec ?? Infinity, to.transferBytesPerSec ?? Infinity);
  return from.transferLatencySec + to.transferLatencySec + (Number.isFinite(rate) ? bytes / rate : 0);
}

// --- measuring -----------------------------------------------------------------------------

function deviceTensor(b: Backend, shape: number[], fill: number): Tensor {
  const n = sizeOf(shape);
  const s = b.allocate('float32', n);
  const t = tensorOf(s, shape);
  void b.write(s, new Float32Array(n).fill(fill));
  return t;
}

/**
 * Seconds per launch: `reps` back-to-back launches then one read of the output, less the time of
 * a read alone (a GPU queues launches and waits only at the read). Also returns that read time.
 */
async function timeOp(b: Backend, op: OpDef<any, any>, inputs: Tensor[], reps: number): Promise<{ sec: number; readSec: number }> {
  const info = op.infer(inputs, {}) as OpInfo;
  const out = info.outputs.map((m) => tensorOf(b.allocate(m.dtype, sizeOf(m.shape)), m.shape));
  await b.execute(op, {}, info, inputs, out);
  await b.read(out[0]!); // warm-up (pipeline compile, first touch)
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) await b.execute(op, {}, info, inputs, out);
  await b.read(out[0]!);
  const total = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await b.read(out[0]!);
  const readSec = (performance.now() - t1) / 1000;
  out.forEach((t) => t.dispose());
  return { sec: Math.max((total - readSec) / reps, total / reps / 10), readSec };
}

async function measure(b: Backend): Promise<DeviceProfile> {
  const isHost = b.id === 'cpu';
  // launch: a 1-element add
  const one = deviceTensor(b, [1], 1);
  const tiny = await timeOp(b, binaryOps.add, [one, one], 20);
  // compute: 256^3 matmul (33.5 MFLOP)
  const m = deviceTensor(b, [256, 256], 0.5);
  const mm = await timeOp(b, matmul, [m, m], 4);
  // bandwidth: add of 1M floats (12 MB moved)
  const big = deviceTensor(b, [1 << 20], 1);
  const add = await timeOp(b, binaryOps.add, [big, big], 4);
  // transfer: write then read 4 MB
  let transferBytesPerSec = Infinity, transferLatencySec = 0;
  if (!isHost) {
    const n = 1 << 20;
    const s = b.allocate('float32', n);
    const t = tensorOf(s, [n]);
    const host = new Float32Array(n);
    await b.write(s, host);
    await b.read(t);
    const t0 = performance.now();
    await b.write(s, host);
    await b.read(t);
    const sec = (performance.now() - t0) / 1000;
    transferLatencySec = tiny.readSec / 2;
    transferBytesPerSec = (2 * 4 * n) / Math.max(sec - tiny.readSec, sec / 2);
    t.dispose();
  }
  [one, m, big].forEach((t) => t.dispose());
  const launchSec = tiny.sec;
  return {
    flopsPerSec: (2 * 256 ** 3) / Math.max(mm.sec - launchSec, mm.sec / 4),
    bytesPerSec: (12 * (1 << 20)) / Math.max(add.sec - launchSec, add.sec / 4),
    launchSec,
    transferBytesPerSec,
    transferLatencySec,
  };
}
