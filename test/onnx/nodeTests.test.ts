/**
 * ONNX backend node tests (../shared/onnx-node-tests, or LEPTON_ONNX_NODE_TESTS): each folder's
 * model.onnx runs on its test data sets on every available device and must match the expected
 * outputs with ONNX's own tolerances, judged by src/onnx/conformance.ts (the code behind
 * `npm run conformance`). A test fails this suite unless it passes or is listed in EXCLUDED with
 * the reason; a listed test that starts passing is reported so the entry can go.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import '../../src/index.js';
import { conformanceTotals, runConformanceDir } from '../../src/onnx/conformance.js';
import { testDevices } from '../helpers/devices.js';
import { nodeTestsDir } from './helpers.js';

/** Tests that need what lepton-compute does not implement, each with its reason. Keep it short and true. */
export const EXCLUDED: Readonly<Record<string, string>> = {
};

const dir = nodeTestsDir();
const suite = dir ? describe : describe.skip;
if (!dir) console.log('onnx node tests skipped: no ../shared/onnx-node-tests folder (set LEPTON_ONNX_NODE_TESTS to its path)');

suite('ONNX backend node tests', () => {
  const devices = dir ? testDevices() : [];
  test.each(devices)('on %s', async (device) => {
    const rows = (await runConformanceDir(dir!, device)).map((r) => ({ ...r, excluded: r.test in EXCLUDED }));
    const totals = conformanceTotals(rows);
    const file = path.join(os.tmpdir(), `lepton-onnx-node-tests-${device.replace(/[^a-z0-9]+/gi, '_')}.json`);
    writeFileSync(file, JSON.stringify({ device, summary: totals, rows }, null, 1));
    console.log(`onnx node tests (${device}): ${totals.pass} passed, ${totals.fail} failed, ${totals.unsupported} unsupported (${rows.filter((r) => r.excluded).length} excluded); table: ${file}`);

    const nowPassing = rows.filter((r) => r.excluded && r.status === 'pass').map((r) => r.test);
    if (nowPassing.length) console.log(`excluded but passing on ${device} (remove from EXCLUDED): ${nowPassing.join(', ')}`);
    const unexpected = rows.filter((r) => r.status !== 'pass' && !r.excluded).map((r) => `${r.test} [${r.status}] ${r.detail}`);
    expect(unexpected).toEqual([]);
  }, 600_000); // 331 models; a software WebGPU adapter takes over a minute
});
