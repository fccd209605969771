// onnxruntime-node peer (CPU execution provider, as many intra-op threads as lepton uses).
import { singleNodeModel } from '../onnx-model.js';
import { timeAsync } from '../timing.js';

let ort;
try {
  ort = (await import('onnxruntime-node')).default ?? (await import('onnxruntime-node'));
} catch (err) {
  ort = { error: `onnxruntime-node unavailable: ${err.message.split('\n')[0]}` };
}

export const ortVersion = ort.error ? undefined : `onnxruntime-node ${ort.env?.versions?.common ?? ''}`.trim();
export const ortError = ort.error;

/** Times one single-node model; feeds: { name: Float32Array + shape }. Returns median seconds, or undefined. */
export async function timeOrt(modelSpec, feeds, threads) {
  if (ort.error) return undefined;
  const session = await ort.InferenceSession.create(singleNodeModel(modelSpec), {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
  const inputs = {};
  for (const [name, { data, shape }] of Object.entries(feeds)) inputs[name] = new ort.Tensor('float32', data, shape);
  const seconds = await timeAsync(() => session.run(inputs));
  await session.release();
  return seconds;
}
