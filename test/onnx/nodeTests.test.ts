/**
 * ONNX backend node tests (../shared/onnx-node-tests, or LEPTON_ONNX_NODE_TESTS): each folder's
 * model.onnx runs on test_data_set_0 on every available device and must match the expected
 * outputs with ONNX's own tolerances. A test fails this suite unless it passes or is listed in
 * EXCLUDED with the reason; a listed test that starts passing is reported so the entry can go.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as lc from '../../src/index.js';
import { LeptonError } from '../../src/errors.js';
import { decodeModel, decodeTensorProto } from '../../src/onnx/proto.js';
import { planModel, runPlan } from '../../src/onnx/run.js';
import { hostTensorFromProto, tensorFromProto } from '../../src/onnx/tensor.js';
import { testDevices } from '../helpers/devices.js';
import { compareOutput } from './compare.js';
import { dataFiles, nodeTestsDir, testFolders } from './helpers.js';

/** Tests that need what lepton-compute does not implement, each with its reason. Keep it short and true. */
export const EXCLUDED: Readonly<Record<string, string>> = {
};

type Status = 'pass' | 'fail' | 'unsupported';
interface Row { test: string; device: string; status: Status; excluded: boolean; detail?: string; ms: number }

async function runOne(dir: string, name: string, device: string): Promise<{ status: Status; detail?: string }> {
  const folder = path.join(dir, name);
  const owned: lc.Tensor[] = [];
  try {
    const plan = planModel(decodeModel(readFileSync(path.join(folder, 'model.onnx'))));
    const set = path.join(folder, 'test_data_set_0');
    const inputs: Record<string, lc.Tensor> = {};
    dataFiles(set, 'input').forEach((file, i) => {
      const proto = decodeTensorProto(readFileSync(file));
      const t = tensorFromProto(proto, device);
      owned.push(t);
      inputs[proto.name || plan.feeds[i]!.name] = t;
    });
    const outputs = await runPlan(plan, inputs, { device });
    owned.push(...Object.values(outputs));
    const problems: string[] = [];
    const files = dataFiles(set, 'output');
    for (const [i, file] of files.entries()) {
      const expected = hostTensorFromProto(decodeTensorProto(readFileSync(file)));
      const outName = expected.name || plan.model.graph.outputs[i]!.name;
      const got = outputs[outName];
      if (!got) {
        problems.push(`output ${outName} missing`);
        continue;
      }
      const diff = compareOutput({ dtype: got.dtype, shape: got.shape, data: await got.data() }, expected);
      if (diff) problems.push(`output ${outName}: ${diff}`);
    }
    return problems.length ? { status: 'fail', detail: problems.join('; ') } : { status: 'pass' };
  } catch (err) {
    if (err instanceof LeptonError && err.code === 'UNSUPPORTED_OP') return { status: 'unsupported', detail: err.message };
    const e = err as Error;
    return { status: 'fail', detail: `${e instanceof LeptonError ? e.code : e?.name}: ${e?.message ?? String(err)}` };
  } finally {
    for (const t of owned) t.dispose();
  }
}

const dir = nodeTestsDir();
const suite = dir ? describe : describe.skip;
if (!dir) console.log('onnx node tests skipped: no ../shared/onnx-node-tests folder (set LEPTON_ONNX_NODE_TESTS to its path)');

suite('ONNX backend node tests', () => {
  const devices = dir ? testDevices() : [];
  test.each(devices)('on %s', async (device) => {
    const rows: Row[] = [];
    for (const name of testFolders(dir!)) {
      const start = performance.now();
      const r = await runOne(dir!, name, device);
      rows.push({ test: name, device, ...r, excluded: name in EXCLUDED, ms: Math.round(performance.now() - start) });
    }
    const count = (s: Status) => rows.filter((r) => r.status === s).length;
    const file = path.join(os.tmpdir(), `lepton-onnx-node-tests-${device.replace(/[^a-z0-9]+/gi, '_')}.json`);
    writeFileSync(file, JSON.stringify({ device, summary: { pass: count('pass'), fail: count('fail'), unsupported: count('unsupported') }, rows }, null, 1));
    console.log(`onnx node tests (${device}): ${count('pass')} passed, ${count('fail')} failed, ${count('unsupported')} unsupported (${rows.filter((r) => r.excluded).length} excluded); table: ${file}`);

    const nowPassing = rows.filter((r) => r.excluded && r.status === 'pass').map((r) => r.test);
    if (nowPassing.length) console.log(`excluded but passing on ${device} (remove from EXCLUDED): ${nowPassing.join(', ')}`);
    const unexpected = rows.filter((r) => r.status !== 'pass' && !r.excluded).map((r) => `${r.test} [${r.status}] ${r.detail}`);
    expect(unexpected).toEqual([]);
  }, 600_000); // 331 models; a software WebGPU adapter takes over a minute
});
