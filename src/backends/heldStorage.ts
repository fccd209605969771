/**
 * Device memory whose release waits for the work still using it: kernels and transfers hold() it
 * while queued and unhold() it when done; release() frees at once when idle, else after the last
 * unhold. Shared by the WebGPU and CUDA storages.
 */
export abstract class HeldStorage {
  private busy = 0;
  protected released = false;

  hold(): void {
    this.busy++;
  }

  unhold(): void {
    if (--this.busy === 0 && this.released) this.free();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.busy === 0) this.free();
  }

  /** Gives the memory back to the device (called once, when released and idle). */
  protected abstract free(): void;
}
