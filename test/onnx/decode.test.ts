import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeModel, decodeTensorProto } from '../../src/onnx/proto.js';
import { hostTensorFromProto } from '../../src/onnx/tensor.js';
import { LeptonError } from '../../src/errors.js';
import { dataFiles, modelsDir, nodeTestsDir, testFolders } from './helpers.js';

const dir = nodeTestsDir();
const d = dir ? describe : describe.skip;
if (!dir) console.log('onnx decode tests skipped: no onnx-node-tests folder (set LEPTON_ONNX_NODE_TESTS)');

d('onnx protobuf decoding', () => {
  test('every node-test model and data file decodes, and data matches the declared graph inputs/outputs', () => {
    for (const name of testFolders(dir!)) {
      const model = decodeModel(readFileSync(path.join(dir!, name, 'model.onnx')));
      expect(model.graph.nodes.length).toBeGreaterThan(0);
      expect(model.opsetImport.length).toBeGreaterThan(0);
      for (const init of model.graph.initializers) hostTensorFromProto(init);
      const set = path.join(dir!, name, 'test_data_set_0');
      const inits = new Set(model.graph.initializers.map((t) => t.name));
      const feeds = model.graph.inputs.filter((i) => !inits.has(i.name));
      const check = (files: string[], infos: readonly (typeof feeds)[number][]) => {
        expect(files.length).toBe(infos.length);
        files.forEach((f, i) => {
          const h = hostTensorFromProto(decodeTensorProto(readFileSync(f)));
          const info = infos[i]!;
          if (h.name) expect(h.name).toBe(info.name);
          if (info.shape) expect(h.shape.length).toBe(info.shape.length);
          info.shape?.forEach((dim, k) => { if (typeof dim === 'number') expect(h.shape[k]).toBe(dim); });
        });
      };
      check(dataFiles(set, 'input'), feeds);
      check(dataFiles(set, 'output'), model.graph.outputs);
    }
  });

  test('typed fields: mnist float_data and int64_data initializers', () => {
    const m = modelsDir();
    if (!m) return;
    const model = decodeModel(readFileSync(path.join(m, 'mnist/model.onnx')));
    expect(model.irVersion).toBe(3);
    expect(model.opsetImport[0]!.version).toBe(7);
    expect(model.graph.nodes.length).toBe(12);
    const shapes = model.graph.initializers.map((t) => hostTensorFromProto(t)).filter((t) => t.dtype === 'int64');
    expect(shapes.map((t) => Array.from(t.data as BigInt64Array, Number)).sort()).toEqual([[1, 256], [256, 10]]);
    expect(model.graph.inputs.length).toBe(9);
  });

  test('garbage is a BAD_MODEL LeptonError', () => {
    for (const bytes of [new Uint8Array([0xff, 0xff, 0xff]), new Uint8Array([0x0a, 0x80]), new Uint8Array(0)]) {
      expect(() => decodeModel(bytes)).toThrow(LeptonError);
      try { decodeModel(bytes); } catch (e) { expect((e as LeptonError).code).toBe('BAD_MODEL'); }
    }
  });
});
