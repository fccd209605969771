// The comparison lives in src/onnx/conformance.ts (shared with `npm run conformance`); re-exported for the tests.
export { compareOutput, ONNX_ATOL, ONNX_RTOL, type ComparableTensor as Expected } from '../../src/onnx/conformance.js';
