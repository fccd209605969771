/**
 * Fallback events: an op that ran on the CPU because its device could not run it, a device
 * that failed mid-run and was dropped, or a device marked unhealthy. Eager ops and compiled
 * models report through the same channel (lc.onFallback); a model also has model.on('fallback').
 */
export interface FallbackEvent {
  /** The op (or node name for graph nodes) that moved. */
  op: string;
  /** The device it was meant for. */
  from: string;
  /** Where it ran instead. */
  to: string;
  reason: string;
  /** 'unsupported': no selected device can run it; 'device-failure': a kernel failed mid-run; 'unhealthy': a device was taken out of placement. */
  kind?: 'unsupported' | 'device-failure' | 'unhealthy';
  /** The graph node, for compiled models. */
  node?: string;
  /** The LeptonError code of a device failure. */
  code?: string;
  /** Nodes re-placed on the CPU after a device failure. */
  replaced?: readonly string[];
}

export type FallbackListener = (event: FallbackEvent) => void;

const listeners: FallbackListener[] = [];

/** Subscribes to every fallback (eager and compiled); returns the unsubscribe function. */
export function onFallback(listener: FallbackListener): () => void {
  listeners.push(listener);
  return () => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  };
}

/** Tells the global listeners (and stderr with LEPTON_LOG_FALLBACK=1). */
export function emitFallback(event: FallbackEvent): void {
  for (const l of [...listeners]) l(event);
  if (process.env.LEPTON_LOG_FALLBACK) {
    console.warn(`lepton-compute: ${event.node ?? event.op} falls back from ${event.from} to ${event.to}: ${event.reason}`);
  }
}
