// A tensor's memory on a CUDA device: a native buffer id from the device's caching allocator.
import { HeldStorage } from '../heldStorage.js';
import { bytesPerElement, type DType } from '../../dtype.js';
import { LeptonError } from '../../errors.js';
import type { CudaAddon } from '../../native.js';
import type { Storage } from '../../storage.js';
import { asCudaError } from './errors.js';

export class CudaStorage extends HeldStorage implements Storage {
  readonly device: string;
  ready: Promise<void> = Promise.resolve();
  error?: LeptonError;
  /** The native buffer id (allocated at construction, so out-of-memory shows at the op that asked). */
  readonly id: number;
  private freed = false;

  constructor(private readonly addon: CudaAddon, readonly index: number, readonly dtype: DType, readonly length: number) {
    super();
    this.device = `cuda:${index}`;
    try {
      this.id = addon.cudaAlloc(index, Math.max(1, length * bytesPerElement(dtype)));
    } catch (err) {
      throw asCudaError(`cuda:${index}: allocate ${length} x ${dtype}`, err);
    }
  }

  get handle(): number {
    return this.id;
  }

  /** The buffer id for a kernel or transfer; throws DISPOSED after release. */
  use(what: string): number {
    if (this.freed) throw new LeptonError('DISPOSED', `${what}: ${this.device} storage was released`);
    return this.id;
  }

  protected free(): void {
    if (this.freed) return;
    this.freed = true;
    // The allocator reuses the block only after work already queued on the GPU has finished.
    this.addon.cudaFree(this.id);
  }
}
