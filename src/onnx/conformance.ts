/**
 * ONNX backend-test conformance: runs folders laid out like onnx/backend/test/data/node
 * (`<test>/model.onnx` + `<test>/test_data_set_N/{input,output}_K.pb`) on one device and compares
 * the outputs with ONNX's own tolerances. Shared by `npm run conformance` (conformance-cli.ts) and
 * the jest suite test/onnx/nodeTests.test.ts, so both judge a test the same way.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { halfBitsToFloat32, isFloatDType, type DType, type TypedArray } from '../dtype.js';
import { LeptonError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { decodeModel, decodeTensorProto } from './proto.js';
import { planModel, runPlan } from './run.js';
import { hostTensorFromProto, tensorFromProto } from './tensor.js';

/** ONNX's backend test runner defaults (onnx/backend/test/runner): assert_allclose(rtol=1e-3, atol=1e-7). */
export const ONNX_RTOL = 1e-3;
export const ONNX_ATOL = 1e-7;

export interface ComparableTensor {
  dtype: DType;
  shape: readonly number[];
  data: TypedArray;
}

/**
 * Compares like numpy.testing.assert_allclose (NaN equals NaN) for floats and exact equality for
 * integers and bools; dtype and shape must match. Returns a description of the worst mismatch, or undefined.
 */
export function compareOutput(actual: ComparableTensor, expected: ComparableTensor, rtol = ONNX_RTOL, atol = ONNX_ATOL): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    return `shape [${actual.shape.join(',')}], expected [${expected.shape.join(',')}]`;
  }
  if (actual.data.length !== expected.data.length) return `${actual.data.length} elements, expected ${expected.data.length}`;
  const a = actual.data as unknown as ArrayLike<number | bigint>;
  const e = expected.data as unknown as ArrayLike<number | bigint>;
  if (!isFloatDType(expected.dtype)) {
    for (let i = 0; i < e.length; i++) {
      if (a[i] !== e[i]) return `element ${i} is ${a[i]}, expected ${e[i]} (exact)`;
    }
    return undefined;
  }
  const read = expected.dtype === 'float16' ? (v: number | bigint) => halfBitsToFloat32(v as number) : (v: number | bigint) => Number(v);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < e.length; i++) {
    const x = read(a[i]!), y = read(e[i]!);
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return `element ${i} is ${x}, expected ${y}`;
      continue;
    }
    if (x === y) continue; // equal infinities too
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) return `element ${worst} is ${read(a[worst]!)}, expected ${read(e[worst]!)} (rtol ${rtol}, atol ${atol})`;
  return undefined;
}

/** Test folders of a node-test directory (those holding a model.onnx), sorted by name. */
export function testFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'model.onnx')))
    .map((e) => e.name)
    .sort();
}

/** input_N.pb / output_N.pb of one data set, in numeric order. */
export function dataFiles(setDir: string, kind: 'input' | 'output'): string[] {
  if (!existsSync(setDir)) return [];
  const pattern = new RegExp(`^${kind}_(\\d+)\\.pb$`);
  return readdirSync(setDir)
    .filter((f) => pattern.test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
    .map((f) => path.join(setDir, f));
}

/** test_data_set_N folders of one test, in numeric order. */
export function dataSets(testDir: string): string[] {
  return readdirSync(testDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^test_data_set_\d+$/.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => Number(a.slice(14)) - Number(b.slice(14)))
    .map((name) => path.join(testDir, name));
}

export type ConformanceStatus = 'pass' | 'fail' | 'unsupported';

export interface ConformanceResult {
  /** Folder name (test_add, ...). */
  readonly test: string;
  readonly device: string;
  readonly status: ConformanceStatus;
  /** Why it failed or is unsupported. */
  readonly detail?: string;
  readonly ms: number;
}

/**
 * Runs one test folder on `device`: every test_data_set_N (outputs compared with ONNX's tolerances).
 * 'unsupported' means the importer refused the model with UNSUPPORTED_OP before giving any answer;
 * every other error, and every wrong answer, is a 'fail'.
 */
export async function runConformanceTest(folder: string, device: string): Promise<ConformanceResult> {
  const start = performance.now();
  const result = (status: ConformanceStatus, detail?: string): ConformanceResult => ({
    test: path.basename(folder), device, status, ...(detail === undefined ? {} : { detail }), ms: Math.round(performance.now() - start),
  });
  const owned: Tensor[] = [];
  try {
    const plan = planModel(decodeModel(readFileSync(path.join(folder, 'model.onnx'))));
    const sets = dataSets(folder);
    if (sets.length === 0) return result('fail', 'no test_data_set_N folder');
    const problems: string[] = [];
    for (const set of sets) {
      const inputs: Record<string, Tensor> = {};
      dataFiles(set, 'input').forEach((file, i) => {
        const proto = decodeTensorProto(readFileSync(file));
        const t = tensorFromProto(proto, device);
        owned.push(t);
        inputs[proto.name || plan.feeds[i]!.name] = t;
      });
      const outputs = await runPlan(plan, inputs, { device });
      owned.push(...Object.values(outputs));
      const where = sets.length > 1 ? `${path.basename(set)}: ` : '';
      for (const [i, file] of dataFiles(set, 'output').entries()) {
        const expected = hostTensorFromProto(decodeTensorProto(readFileSync(file)));
        const name = expected.name || plan.model.graph.outputs[i]!.name;
        const got = outputs[name];
        if (!got) {
          problems.push(`${where}output ${name} missing`);
          continue;
        }
        const diff = compareOutput({ dtype: got.dtype, shape: got.shape, data: await got.data() }, expected);
        if (diff) problems.push(`${where}output ${name}: ${diff}`);
      }
    }
    return problems.length ? result('fail', problems.join('; ')) : result('pass');
  } catch (err) {
    if (err instanceof LeptonError && err.code === 'UNSUPPORTED_OP') return result('unsupported', err.message);
    const e = err as Error;
    return result('fail', `${e instanceof LeptonError ? e.code : e?.name}: ${e?.message ?? String(err)}`);
  } finally {
    for (const t of owned) t.dispose();
  }
}

export interface ConformanceOptions {
  /** Only tests whose folder name matches. */
  filter?: RegExp;
  /** Called after each test (progress printing). */
  onResult?: (r: ConformanceResult) => void;
}

/** Runs every test folder of `dir` on `device`, one after another. */
export async function runConformanceDir(dir: string, device: string, options: ConformanceOptions = {}): Promise<ConformanceResult[]> {
  const rows: ConformanceResult[] = [];
  for (const name of testFolders(dir)) {
    if (options.filter && !options.filter.test(name)) continue;
    const r = await runConformanceTest(path.join(dir, name), device);
    rows.push(r);
    options.onResult?.(r);
  }
  return rows;
}

export interface ConformanceTotals {
  pass: number;
  fail: number;
  unsupported: number;
}

export function conformanceTotals(rows: readonly ConformanceResult[]): ConformanceTotals {
  const totals: ConformanceTotals = { pass: 0, fail: 0, unsupported: 0 };
  for (const r of rows) totals[r.status]++;
  return totals;
}
