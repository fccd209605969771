/** Node mapping details the node tests do not reach: older opsets, attribute forms, helper ops, errors. */
import * as lc from '../../src/index.js';
import { LeptonError } from '../../src/errors.js';
import { buildModel, D, type NodeSpec, type ValueSpec } from './build.js';

const f32 = (name: string, shape?: (number | string)[]): ValueSpec => ({ name, type: D.FLOAT, shape });
const i64 = (name: string, shape?: (number | string)[]): ValueSpec => ({ name, type: D.INT64, shape });

async function run1(opset: number, nodes: NodeSpec[], inputs: Record<string, lc.Tensor>, inputSpecs: ValueSpec[], output: ValueSpec, initializers: Record<string, unknown>[] = []) {
  const bytes = buildModel({ opset, nodes, inputs: inputSpecs, outputs: [output], initializers });
  const out = await lc.runOnnxModel(bytes, inputs);
  const t = out[output.name]!;
  return { shape: [...t.shape], dtype: t.dtype, data: Array.from((await t.data()) as ArrayLike<number | bigint>) };
}

const x23 = () => lc.tensor([[1, 2, 3], [4, 5, 6]]);

test('Softmax before opset 13 normalises over everything from axis on (flatten to 2-D)', async () => {
  const x = lc.tensor(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), [2, 2, 2]);
  const r = await run1(11, [{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }], { x }, [f32('x', [2, 2, 2])], f32('y'));
  const e = (v: number[]) => { const s = v.reduce((a, b) => a + Math.exp(b), 0); return v.map((u) => Math.exp(u) / s); };
  const expected = [...e([1, 2, 3, 4]), ...e([5, 6, 7, 8])];
  r.data.forEach((v, i) => expect(Number(v)).toBeCloseTo(expected[i]!, 6));
  expect(r.shape).toEqual([2, 2, 2]);
});

test('Reduce with axes as an attribute (opset 11) and ReduceSum axes input (opset 13)', async () => {
  const a = await run1(11, [{ op: 'ReduceMean', inputs: ['x'], outputs: ['y'], attrs: { axes: [1], keepdims: 0 } }], { x: x23() }, [f32('x', [2, 3])], f32('y'));
  expect(a.data).toEqual([2, 5]);
  const b = await run1(13, [{ op: 'ReduceSum', inputs: ['x', 'axes'], outputs: ['y'], attrs: { keepdims: 1 } }],
    { x: x23(), axes: lc.tensor([0], [1], { dtype: 'int64' }) }, [f32('x', [2, 3]), i64('axes', [1])], f32('y'));
  expect(b).toEqual({ shape: [1, 3], dtype: 'float32', data: [5, 7, 9] });
  const c = await run1(13, [{ op: 'ReduceSum', inputs: ['x'], outputs: ['y'], attrs: { keepdims: 0, noop_with_empty_axes: 1 } }], { x: x23() }, [f32('x', [2, 3])], f32('y'));
  expect(c.data).toEqual([1, 2, 3, 4, 5, 6]);
});

test('Unsqueeze/Squeeze with axes attribute (opset 11) and input (opset 13); Shape with start/end; Concat', async () => {
  const a = await run1(11, [{ op: 'Unsqueeze', inputs: ['x'], outputs: ['y'], attrs: { axes: [0, 3] } }], { x: x23() }, [f32('x', [2, 3])], f32('y'));
  expect(a.shape).toEqual([1, 2, 3, 1]);
  const b = await run1(15, [
    { op: 'Constant', inputs: [], outputs: ['ax'], attrs: { value_ints: [0] } },
    { op: 'Unsqueeze', inputs: ['x', 'ax'], outputs: ['u'] },
    { op: 'Squeeze', inputs: ['u'], outputs: ['s'] },
    { op: 'Shape', inputs: ['u'], outputs: ['y'], attrs: { start: -2 } },
  ], { x: x23() }, [f32('x', [2, 3])], i64('y'));
  expect(b).toEqual({ shape: [2], dtype: 'int64', data: [2n, 3n] });
  const c = await run1(13, [{ op: 'Concat', inputs: ['x', 'x'], outputs: ['y'], attrs: { axis: -1 } }], { x: x23() }, [f32('x', [2, 3])], f32('y'));
  expect(c.data).toEqual([1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
});

test('Clip bounds as attributes (opset 6) and as inputs (opset 13)', async () => {
  const a = await run1(6, [{ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: { float: 2 }, max: { float: 4 } } }], { x: x23() }, [f32('x', [2, 3])], f32('y'));
  expect(a.data).toEqual([2, 2, 3, 4, 4, 4]);
  const b = await run1(13, [
    { op: 'Constant', inputs: [], outputs: ['lo'], attrs: { value_float: { float: 3 } } },
    { op: 'Clip', inputs: ['x', 'lo', ''], outputs: ['y'] },
  ], { x: x23() }, [f32('x', [2, 3])], f32('y'));
  expect(b.data).toEqual([3, 3, 3, 4, 5, 6]);
});

test('Cast, CastLike, Identity, Max/Min/Sum/Mean, Reshape from a computed shape', async () => {
  const a = await run1(19, [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: D.INT64 } }], { x: lc.tensor([1.7, -2.7, 0]) }, [f32('x', [3])], i64('y'));
  expect(a.data).toEqual([1n, -2n, 0n]);
  const legacy = await run1(5, [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: 'INT32' } }], { x: lc.tensor([1.7, -2.7, 0]) }, [f32('x', [3])], { name: 'y', type: D.INT32 });
  expect(legacy).toEqual({ shape: [3], dtype: 'int32', data: [1, -2, 0] });
  const b = await run1(19, [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attrs: { to: D.FLOAT16 } }], { x: lc.tensor([1, -0.5]) }, [f32('x', [2])], { name: 'y', type: D.FLOAT16 });
  expect(b.data).toEqual([0x3c00, 0xb800]);
  const c = await run1(19, [{ op: 'CastLike', inputs: ['x', 'like'], outputs: ['y'] }], { x: lc.tensor([0, 2.5]), like: lc.tensor([true]) }, [f32('x', [2]), { name: 'like', type: D.BOOL, shape: [1] }], { name: 'y', type: D.BOOL });
  expect(c).toEqual({ shape: [2], dtype: 'bool', data: [0, 1] });
  const d = await run1(13, [
    { op: 'Identity', inputs: ['x'], outputs: ['i'] },
    { op: 'Max', inputs: ['x', 'i', 'z'], outputs: ['m'] },
    { op: 'Mean', inputs: ['m', 'x'], outputs: ['y'] },
  ], { x: x23(), z: lc.tensor([3]) }, [f32('x', [2, 3]), f32('z', [1])], f32('y'));
  expect(d.data).toEqual([2, 2.5, 3, 4, 5, 6]);
  const e = await run1(14, [
    { op: 'Shape', inputs: ['x'], outputs: ['s'] },
    { op: 'Reshape', inputs: ['t', 's'], outputs: ['y'] },
  ], { x: x23(), t: lc.tensor([1, 2, 3, 4, 5, 6]) }, [f32('x', [2, 3]), f32('t', [6])], f32('y'));
  expect(e.shape).toEqual([2, 3]);
});

test('1-D Conv and MaxPool are lifted to 2-D', async () => {
  const x = lc.tensor(new Float32Array([1, 2, 3, 4, 5]), [1, 1, 5]);
  const w = lc.tensor(new Float32Array([1, 0, -1]), [1, 1, 3]);
  const a = await run1(11, [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { pads: [1, 1] } }], { x, w }, [f32('x', [1, 1, 5]), f32('w', [1, 1, 3])], f32('y'));
  expect(a).toEqual({ shape: [1, 1, 5], dtype: 'float32', data: [-2, -2, -2, -2, 4] });
  const b = await run1(12, [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2], strides: [2], ceil_mode: 1 } }], { x }, [f32('x', [1, 1, 5])], f32('y'));
  expect(b).toEqual({ shape: [1, 1, 3], dtype: 'float32', data: [2, 4, 5] });
});

describe('errors', () => {
  const catchIt = async (p: Promise<unknown>) => p.then(() => undefined, (e) => e as LeptonError);

  test('every unsupported node is listed in one UNSUPPORTED_OP error', async () => {
    const bytes = buildModel({
      opset: 17,
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'ok' },
        { op: 'NonMaxSuppression', inputs: ['a'], outputs: ['b'], name: 'nms' },
        { op: 'Gelu', inputs: ['b'], outputs: ['c'], name: 'custom', domain: 'com.example' },
        { op: 'Conv', inputs: ['c', 'w'], outputs: ['y'], name: 'conv3d', attrs: { kernel_shape: [1, 1, 1] } },
      ],
      inputs: [f32('x', [1, 1, 2, 2, 2]), f32('w', [1, 1, 1, 1, 1])],
      outputs: [f32('y')],
    });
    const e = await catchIt(lc.runOnnxModel(bytes, { x: lc.tensor(new Float32Array(8), [1, 1, 2, 2, 2]), w: lc.tensor(new Float32Array(1), [1, 1, 1, 1, 1]) }));
    expect(e).toBeInstanceOf(LeptonError);
    expect(e!.code).toBe('UNSUPPORTED_OP');
    expect(e!.message).toMatch(/3 node\(s\)/);
    for (const n of ['"nms" (NonMaxSuppression)', '"custom" (com.example.Gelu)', '"conv3d" (Conv)']) expect(e!.message).toContain(n);
    expect(e!.message).not.toContain('"ok"');
  });

  test('unknown attributes make a node unsupported, wrong attribute types are BAD_MODEL', async () => {
    const bad = (attrs: NodeSpec['attrs']) => buildModel({ opset: 13, nodes: [{ op: 'Flatten', inputs: ['x'], outputs: ['y'], attrs }], inputs: [f32('x', [2, 3])], outputs: [f32('y')] });
    expect((await catchIt(lc.runOnnxModel(bad({ axis: 1, frobnicate: 2 }), { x: x23() })))!.code).toBe('UNSUPPORTED_OP');
    expect((await catchIt(lc.runOnnxModel(bad({ axis: 'one' }), { x: x23() })))!.code).toBe('BAD_MODEL');
  });

  test('structural faults are BAD_MODEL; feeds are checked', async () => {
    const cyc = buildModel({ opset: 13, nodes: [{ op: 'Relu', inputs: ['b'], outputs: ['a'] }, { op: 'Relu', inputs: ['a'], outputs: ['b'] }], inputs: [], outputs: [f32('b')] });
    expect((await catchIt(lc.runOnnxModel(cyc, {})))!.message).toMatch(/cycle/);
    const dangling = buildModel({ opset: 13, nodes: [{ op: 'Relu', inputs: ['nope'], outputs: ['y'] }], inputs: [], outputs: [f32('y')] });
    expect((await catchIt(lc.runOnnxModel(dangling, {})))!.code).toBe('BAD_MODEL');
    const relu = buildModel({ opset: 13, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [f32('x', ['N', 3])], outputs: [f32('y')] });
    expect((await catchIt(lc.runOnnxModel(relu, { x: lc.tensor([1, 2, 3], [3], { dtype: 'int32' }) })))!.code).toBe('DTYPE_UNSUPPORTED');
    expect((await catchIt(lc.runOnnxModel(relu, { x: x23(), extra: x23() })))!.code).toBe('BAD_ARGUMENT');
    const ok = await lc.runOnnxModel(relu, { x: lc.tensor(new Float32Array(12), [4, 3]) });
    expect(ok.y!.shape).toEqual([4, 3]);
  });

  test('initializers are constants; one also listed as a graph input may be fed instead', async () => {
    const w = { name: 'w', dims: [3], dataType: D.FLOAT, floatData: [10, 20, 30] };
    const model = (listed: boolean) => buildModel({
      opset: 13, nodes: [{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      inputs: [f32('x', [3]), ...(listed ? [f32('w', [3])] : [])], outputs: [f32('y')], initializers: [w],
    });
    const x = lc.tensor([1, 2, 3]);
    expect(Array.from(await (await lc.runOnnxModel(model(false), { x })).y!.data())).toEqual([11, 22, 33]);
    expect((await catchIt(lc.runOnnxModel(model(false), { x, w: lc.tensor([0, 0, 0]) })))!.code).toBe('BAD_ARGUMENT');
    expect(Array.from(await (await lc.runOnnxModel(model(true), { x })).y!.data())).toEqual([11, 22, 33]);
    expect(Array.from(await (await lc.runOnnxModel(model(true), { x, w: lc.tensor([0, 0, 1]) })).y!.data())).toEqual([1, 2, 4]);
  });

  test('an output that is a graph input is a new reference, not the caller\'s tensor', async () => {
    const bytes = buildModel({ opset: 13, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [f32('x', [2, 3])], outputs: [f32('y'), f32('x')] });
    const x = x23();
    const out = await lc.runOnnxModel(bytes, { x });
    expect(out.x).not.toBe(x);
    out.x!.dispose();
    expect(Array.from(await x.data())).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
