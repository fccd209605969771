// The CPU bench cases (issue 2): what to run, its work (flops/bytes), and how each peer expresses it.
import { ELEM } from './onnx-model.js';

const prod = (s) => s.reduce((a, b) => a * b, 1);

function matmulCase(M, K, N, name) {
  return {
    group: 'matmul', name, unit: 'GFLOP/s', work: 2 * M * N * K,
    inputs: { a: [M, K], b: [K, N] },
    run: (lc, t) => lc.matmul(t.a, t.b),
    numpy: { kind: 'matmul', a: [M, K], b: [K, N] },
    ort: { opType: 'MatMul', inputs: [{ name: 'a', shape: [M, K] }, { name: 'b', shape: [K, N] }], outputs: [{ name: 'y', shape: [M, N] }] },
  };
}

function convCase(name, [N, C, H, W], [M, KH, KW], { pad = 0, group = 1 } = {}) {
  const OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  const wShape = [M, C / group, KH, KW];
  const attrs = { kernel_shape: [KH, KW], pads: [pad, pad, pad, pad], group };
  return {
    group: 'conv2d', name, unit: 'GFLOP/s', work: 2 * N * M * OH * OW * (C / group) * KH * KW,
    inputs: { x: [N, C, H, W], w: wShape },
    run: (lc, t) => lc.conv2d(t.x, t.w, { pads: [pad, pad, pad, pad], groups: group }),
    ort: { opType: 'Conv', attrs, inputs: [{ name: 'x', shape: [N, C, H, W] }, { name: 'w', shape: wShape }], outputs: [{ name: 'y', shape: [N, M, OH, OW] }] },
  };
}

function reduceCase(name, shape, op, axis) {
  const outShape = axis === undefined ? [] : shape.filter((_, i) => i !== axis);
  const onnxOp = { sum: 'ReduceSum', max: 'ReduceMax', argmax: 'ArgMax' }[op];
  const attrs = op === 'argmax' ? { axis, keepdims: 0 } : { keepdims: 0 };
  const initializers = op === 'argmax' || axis === undefined ? [] : [{ name: 'axes', shape: [1], data: BigInt64Array.of(BigInt(axis)) }];
  return {
    group: 'reduce', name, unit: 'GB/s', work: 4 * prod(shape),
    inputs: { x: shape },
    run: (lc, t) => (op === 'argmax' ? lc.argmax(t.x, { axis, keepdims: false }) : lc[op](t.x, { axes: axis === undefined ? undefined : [axis], keepdims: false })),
    numpy: { kind: 'reduce', shape, op, axis: axis ?? null },
    ort: {
      opType: onnxOp, attrs, initializers, opset: 18,
      inputs: [{ name: 'x', shape }], outputs: [{ name: 'y', shape: outShape, elemType: op === 'argmax' ? ELEM.INT64 : ELEM.FLOAT }],
    },
  };
}

export const cpuCases = [
  matmulCase(256, 256, 256, 'matmul 256³'),
  matmulCase(512, 512, 512, 'matmul 512³'),
  matmulCase(1024, 1024, 1024, 'matmul 1024³'),
  matmulCase(2048, 2048, 2048, 'matmul 2048³'),
  matmulCase(1, 4096, 4096, 'matmul 1×4096×4096'),
  matmulCase(64, 784, 128, 'matmul 64×784×128'),
  convCase('conv 1×64×56×56→64 3×3 p1', [1, 64, 56, 56], [64, 3, 3], { pad: 1 }),
  convCase('conv 8×64×56×56→64 3×3 p1', [8, 64, 56, 56], [64, 3, 3], { pad: 1 }),
  convCase('conv 64×1×28×28→32 3×3', [64, 1, 28, 28], [32, 3, 3]),
  convCase('conv 1×256×14×14→256 3×3 p1', [1, 256, 14, 14], [256, 3, 3], { pad: 1 }),
  convCase('conv depthwise 1×128×56×56 3×3 p1', [1, 128, 56, 56], [128, 3, 3], { pad: 1, group: 128 }),
  convCase('conv 1×1 1×256×28×28→512', [1, 256, 28, 28], [512, 1, 1]),
  reduceCase('sum 16M', [16 * 1024 * 1024], 'sum', undefined),
  reduceCase('sum 4096×4096 axis 0', [4096, 4096], 'sum', 0),
  reduceCase('sum 4096×4096 axis 1', [4096, 4096], 'sum', 1),
  reduceCase('max 4096×4096 axis 0', [4096, 4096], 'max', 0),
  reduceCase('max 4096×4096 axis 1', [4096, 4096], 'max', 1),
  reduceCase('argmax 1024×32768 axis 1', [1024, 32768], 'argmax', 1),
];
