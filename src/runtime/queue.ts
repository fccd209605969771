/**
 * One queue per device: the device runs one task at a time, and waiting tasks are taken
 * highest priority first (first come, first served within a priority). Eager ops and
 * compiled-graph steps share these queues.
 */
interface Task {
  readonly priority: number;
  readonly seq: number;
  readonly start: () => void;
}

export class DeviceQueue {
  private readonly waiting: Task[] = [];
  private busy = false;
  private seq = 0;

  constructor(readonly device: string) {}

  /** Runs `fn` when the device is free and no higher-priority task waits. An idle queue runs it at once. */
  run<T>(priority: number, fn: () => Promise<T> | T): Promise<T> {
    try {
      return Promise.resolve(this.launch(priority, fn));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Like run, but an idle queue calls `fn` inline and hands back its result as is: a synchronous
   * result (a tiny CPU kernel) costs no promise and leaves the queue idle; only a thenable keeps
   * the device busy until it settles. A synchronous throw propagates to the caller.
   */
  launch<T>(priority: number, fn: () => Promise<T> | T): Promise<T> | T {
    if (this.busy) {
      return new Promise<T>((resolve, reject) => {
        const task: Task = { priority, seq: this.seq++, start: () => this.start(fn).then(resolve, reject) };
        // Sorted insert: highest priority first, then arrival order.
        let i = this.waiting.length;
        while (i > 0 && this.waiting[i - 1]!.priority < priority) i--;
        this.waiting.splice(i, 0, task);
      });
    }
    const r = fn();
    if (!isThenable(r)) return r;
    this.busy = true;
    const next = () => this.next();
    Promise.resolve(r).then(next, next);
    return r;
  }

  /** Tasks waiting (not counting the running one). */
  get length(): number {
    return this.waiting.length;
  }

  private start<T>(fn: () => Promise<T> | T): Promise<T> {
    this.busy = true;
    let result: Promise<T>;
    try {
      result = Promise.resolve(fn());
    } catch (err) {
      result = Promise.reject(err);
    }
    const next = () => this.next();
    result.then(next, next);
    return result;
  }

  private next(): void {
    const task = this.waiting.shift();
    if (task) task.start();
    else this.busy = false;
  }
}

/** A thenable, not `instanceof Promise`: the addon's promises may come from another realm (jest's vm). */
export function isThenable<T>(v: unknown): v is PromiseLike<T> {
  return typeof (v as { then?: unknown } | null | undefined)?.then === 'function';
}

const queues = new Map<string, DeviceQueue>();

/** The queue of a device id ('cpu', 'webgpu:0', ...). */
export function queueFor(device: string): DeviceQueue {
  let q = queues.get(device);
  if (!q) queues.set(device, (q = new DeviceQueue(device)));
  return q;
}
