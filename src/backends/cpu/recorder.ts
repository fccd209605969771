import type { NativeRecording } from '../../native.js';

/**
 * The native recording CPU kernels launch into, set by src/runtime/replay.ts around one synchronous
 * execute() call. `tainted` says why the recording cannot be replayed: a step did work the native
 * launches do not capture (a TypeScript reference kernel, a data-dependent fix-up in JS).
 */
export const cpuRecording: { rec: NativeRecording | undefined; tainted: string | undefined } = { rec: undefined, tainted: undefined };
