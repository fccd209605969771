import { existsSync } from 'node:fs';
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

// Listing test folders and data files lives in src/onnx/conformance.ts (shared with `npm run conformance`).
export { dataFiles, testFolders } from '../../src/onnx/conformance.js';
