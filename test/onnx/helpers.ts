import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The ONNX backend node tests: LEPTON_ONNX_NODE_TESTS, else ../shared/onnx-node-tests beside the repo. */
export function nodeTestsDir(): string | undefined {
  const dir = process.env.LEPTON_ONNX_NODE_TESTS ?? path.resolve(repoRoot, '../shared/onnx-node-tests');
  return existsSync(dir) ? dir : undefined;
}

/** The shared real models (mnist): LEPTON_ONNX_MODELS, else ../shared/models. */
export function modelsDir(): string | undefined {
  const dir = process.env.LEPTON_ONNX_MODELS ?? path.resolve(repoRoot, '../shared/models');
  return existsSync(dir) ? dir : undefined;
}

/** Test folders (those holding a model.onnx), sorted. */
export function testFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'model.onnx')))
    .map((e) => e.name)
    .sort();
}

/** input_N.pb / output_N.pb of one data set, in numeric order. */
export function dataFiles(setDir: string, kind: 'input' | 'output'): string[] {
  if (!existsSync(setDir)) return [];
  return readdirSync(setDir)
    .filter((f) => new RegExp(`^${kind}_(\\d+)\\.pb$`).test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
    .map((f) => path.join(setDir, f));
}
