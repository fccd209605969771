import * as lc from '../../src/index.js';

describe('tensor API', () => {
  test('creation from typed arrays, nested arrays and scalars', async () => {
    const t = lc.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.device).toBe('cpu');
    expect(await t.array()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(lc.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(lc.tensor(new BigInt64Array([1n])).dtype).toBe('int64');
    expect(lc.tensor(3).shape).toEqual([]);
    expect(Array.from(await lc.tensor([1.7, -2.7], [2], { dtype: 'int8' }).data<Int8Array>())).toEqual([1, -2]);
    expect(Array.from(await lc.tensor([true, false]).data<Uint8Array>())).toEqual([1, 0]);
  });

  test('data() is a copy: changing it leaves the tensor intact', async () => {
    const t = lc.tensor([1, 2, 3]);
    const d = await t.data();
    d[0] = 100;
    expect((await t.data())[0]).toBe(1);
  });

  test('ops return at once and queue work; data() waits', async () => {
    const a = lc.tensor(new Float32Array(256 * 256).fill(1), [256, 256]);
    const y = lc.matmul(a, a);
    expect(y.shape).toEqual([256, 256]);
    expect((await y.data())[0]).toBe(256);
  });

  test('dispose: using a disposed tensor throws DISPOSED at the call', async () => {
    const t = lc.tensor([1, 2, 3, 4], [2, 2]);
    t.dispose();
    t.dispose(); // idempotent
    expect(t.disposed).toBe(true);
    expect(() => lc.matmul(t, t)).toThrow(expect.objectContaining({ code: 'DISPOSED', message: expect.stringMatching(/matmul: input 0 was disposed/) }));
    await expect(t.data()).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  test('`using` disposes at scope end', () => {
    let kept: lc.Tensor;
    {
      using t = lc.tensor([1]);
      kept = t;
    }
    expect(kept.disposed).toBe(true);
  });

  test('disposing an input after queuing an op does not corrupt the result', async () => {
    const a = lc.tensor(new Float32Array(64 * 64).fill(2), [64, 64]);
    const y = lc.matmul(a, a);
    a.dispose();
    expect((await y.data())[0]).toBe(256);
  });

  test('bad arguments give LeptonError with stable codes', () => {
    expect(() => lc.tensor([1, 2, 3], [2, 2])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => lc.tensor([1, 2], [-2])).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => lc.tensor([[1, 2], [3]])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => lc.tensor([1], [1], { dtype: 'float8' as never })).toThrow(expect.objectContaining({ code: 'DTYPE_UNSUPPORTED' }));
    expect(() => lc.tensor({} as never)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => lc.matmul([1, 2] as never, lc.tensor([1, 2]))).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    const err = (() => { try { lc.tensor([1], [2]); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(lc.LeptonError);
  });

  test('unknown or unavailable devices give DEVICE_UNAVAILABLE with the reason', () => {
    const t = lc.tensor([1]);
    expect(() => t.to('tpu:0')).toThrow(expect.objectContaining({ code: 'DEVICE_UNAVAILABLE' }));
    expect(() => lc.matmul(lc.tensor([[1]]), lc.tensor([[1]]), { device: 'cuda:0' })).toThrow(expect.objectContaining({ code: 'DEVICE_UNAVAILABLE', message: expect.stringMatching(/cuda/) }));
  });

  test('devices() reports the CPU kernels, ISA and threads', () => {
    const cpu = lc.devices().find((d) => d.id === 'cpu')!;
    expect(cpu.available).toBe(true);
    expect(['native', 'reference']).toContain(cpu.kernels);
    if (cpu.kernels === 'native') {
      expect(['prebuild', 'build']).toContain(cpu.binary);
      expect(['avx512', 'avx2+fma', 'portable']).toContain(cpu.isa);
      expect(cpu.threads).toBeGreaterThanOrEqual(1);
    }
    for (const d of lc.devices()) if (!d.available) expect(d.reason).toEqual(expect.any(String));
  });
});

test('disposing an op output before its kernel ran is harmless', async () => {
  const a = lc.tensor(new Float32Array(128 * 128).fill(1), [128, 128]);
  const y = lc.matmul(a, a);
  const z = lc.relu(y);
  y.dispose();
  expect((await z.data())[0]).toBe(128);
});
