// lc.loadOnnx: an ONNX model becomes an lc.Graph that compiles and runs like any other graph.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as lc from '../../src/index.js';
import { decodeTensorProto } from '../../src/onnx/proto.js';
import { hostTensorFromProto, tensorFromProto } from '../../src/onnx/tensor.js';
import { testDevices } from '../helpers/devices.js';
import { expectClose } from '../helpers/compare.js';

const mnist = path.resolve(process.cwd(), '..', 'shared', 'models', 'mnist');
const nodeTests = path.resolve(process.cwd(), '..', 'shared', 'onnx-node-tests');
const have = (p: string) => { try { readFileSync(p); return true; } catch { return false; } };
const run = have(path.join(mnist, 'model.onnx')) ? test : test.skip;

run('MNIST loads as a graph: fused, placed, and matches the reference outputs on every device', async () => {
  const g = await lc.loadOnnx(path.join(mnist, 'model.onnx'));
  expect(g.inputs.has('Input3')).toBe(true);
  // Weight reshape folded into a constant; conv+bias+relu and matmul+bias fused by the importer.
  const ops = g.nodes.map((n) => n.op.name);
  expect(ops.filter((o) => o === 'conv2d')).toHaveLength(2);
  expect(ops).not.toContain('add');
  for (const device of testDevices()) {
    const model = await lc.compile(g, { devices: [device] });
    for (const set of [0, 1, 2]) {
      const dir = path.join(mnist, `test_data_set_${set}`);
      const x = tensorFromProto(decodeTensorProto(readFileSync(path.join(dir, 'input_0.pb'))), 'cpu');
      const want = hostTensorFromProto(decodeTensorProto(readFileSync(path.join(dir, 'output_0.pb'))));
      const out = await model.run({ Input3: x });
      const y = Object.values(out)[0]!;
      expect(y.shape).toEqual(want.shape);
      expectClose(await y.data(), want.data as Float32Array, { atol: 1e-4, rtol: 1e-3 }, `${device} set ${set}`);
    }
  }
});

test('a model that reads a graph input on the host is refused with UNSUPPORTED_OP', async () => {
  const dir = path.join(nodeTests, 'test_reshape_reordered_all_dims');
  if (!have(path.join(dir, 'model.onnx'))) return;
  await expect(lc.loadOnnx(path.join(dir, 'model.onnx'))).rejects.toMatchObject({ code: 'UNSUPPORTED_OP' });
});

run('with dynamicBatch the MNIST graph takes any batch, each row equal to its batch-1 run', async () => {
  const g = await lc.loadOnnx(path.join(mnist, 'model.onnx'), { dynamicBatch: true });
  expect(g.inputs.get('Input3')!.shape).toEqual([-1, 1, 28, 28]);
  const model = await lc.compile(g, { devices: ['cpu'] });
  const images = [0, 1, 2].map((set) => tensorFromProto(decodeTensorProto(readFileSync(path.join(mnist, `test_data_set_${set}`, 'input_0.pb'))), 'cpu'));
  const batch = lc.concat(images, { axis: 0 });
  const y = Object.values(await model.run({ Input3: batch }))[0]!;
  expect(y.shape).toEqual([3, 10]);
  const all = await y.data();
  for (let i = 0; i < 3; i++) {
    const want = hostTensorFromProto(decodeTensorProto(readFileSync(path.join(mnist, `test_data_set_${i}`, 'output_0.pb'))));
    expectClose(all.subarray(i * 10, i * 10 + 10), want.data as Float32Array, { atol: 1e-4, rtol: 1e-3 }, `row ${i}`);
  }
});
