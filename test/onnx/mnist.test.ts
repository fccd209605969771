/** The real MNIST CNN (../shared/models/mnist, opset 7, IR 3, typed-field weights) on its three reference digits. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as lc from '../../src/index.js';
import { decodeTensorProto } from '../../src/onnx/proto.js';
import { hostTensorFromProto, tensorFromProto } from '../../src/onnx/tensor.js';
import { testDevices } from '../helpers/devices.js';
import { compareOutput } from './compare.js';
import { modelsDir } from './helpers.js';

const dir = modelsDir();
const suite = dir ? describe : describe.skip;
if (!dir) console.log('mnist test skipped: no ../shared/models folder (set LEPTON_ONNX_MODELS to its path)');

/** Measured error against the reference logits is ~4e-6 (README); allow float32 accumulation-order slack. */
const RTOL = 1e-3, ATOL = 1e-4;

suite('mnist.onnx', () => {
  const devices = dir ? testDevices() : [];
  const model = dir ? readFileSync(path.join(dir, 'mnist/model.onnx')) : new Uint8Array(0);
  test.each(devices)('on %s: three reference digits match their logits', async (device) => {
    const predicted: number[] = [];
    for (const set of [0, 1, 2]) {
      const setDir = path.join(dir!, 'mnist', `test_data_set_${set}`);
      const input = tensorFromProto(decodeTensorProto(readFileSync(path.join(setDir, 'input_0.pb'))), device);
      const expected = hostTensorFromProto(decodeTensorProto(readFileSync(path.join(setDir, 'output_0.pb'))));
      const out = await lc.runOnnxModel(model, { Input3: input }, { device });
      expect(Object.keys(out)).toEqual(['Plus214_Output_0']);
      const y = out.Plus214_Output_0!;
      const data = await y.data();
      expect(compareOutput({ dtype: y.dtype, shape: y.shape, data }, expected, RTOL, ATOL)).toBeUndefined();
      predicted.push(data.indexOf(Math.max(...data)));
      y.dispose();
      input.dispose();
    }
    expect(predicted).toEqual([5, 0, 4]);
  });

  test('the eight initializers listed as graph inputs are constants: only Input3 is fed', async () => {
    await expect(lc.runOnnxModel(model, {})).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringContaining('Input3') });
    await expect(lc.runOnnxModel(model, { Input3: lc.tensor(new Float32Array(28 * 27), [1, 1, 28, 27]) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
  });
});
