// webgpu without shader-f16 (LEPTON_WEBGPU_DISABLE_FEATURES, read when the device is discovered, so it
// is set before the library loads; this file's module registry is its own). float16 matmul, gemm and
// conv2d are then refused with the reason: pinned, UNSUPPORTED_OP; unpinned and in a graph, the CPU
// runs them. float16 tensors still move to and from the device, and layout views of them stay there.
process.env.LEPTON_WEBGPU_DISABLE_FEATURES = 'shader-f16';
const lc = await import('../../src/index.js');
const { exactReference, expectClose, float16Tol, fromHalf } = await import('../helpers/compare.js');
const { matmul } = await import('../../src/ops/matmul.js');
const { randomArray } = await import('../helpers/random.js');

const gpu = lc.devices().find((d) => d.kind === 'webgpu' && d.available);
if (!gpu) console.log('skipping the shader-f16-off checks: no webgpu device');
const GPU = gpu?.id ?? 'webgpu:0';
const maybe = gpu ? describe : describe.skip;

const half = (shape: number[], seed: number) => lc.tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), shape, { dtype: 'float16' });
const reason = /needs the shader-f16 feature for float16/;

maybe('webgpu with shader-f16 turned off', () => {
  test('the device reports it without the feature', () => {
    expect((gpu as { usedFeatures?: string[] }).usedFeatures).not.toContain('shader-f16');
  });

  test('pinned float16 matmul, gemm and conv2d fail with UNSUPPORTED_OP naming the feature', () => {
    const a = half([3, 5], 1).to(GPU), b = half([5, 4], 2).to(GPU);
    const x = half([1, 2, 5, 5], 3).to(GPU), w = half([3, 2, 3, 3], 4).to(GPU), dw = half([2, 1, 3, 3], 5).to(GPU);
    const refused = expect.objectContaining({ code: 'UNSUPPORTED_OP', message: expect.stringMatching(reason) });
    expect(() => lc.matmul(a, b, { device: GPU })).toThrow(refused);
    expect(() => lc.gemm(a, b, null, { device: GPU })).toThrow(refused);
    expect(() => lc.conv2d(x, w, { device: GPU })).toThrow(refused);
    expect(() => lc.conv2d(x, dw, { groups: 2, device: GPU })).toThrow(refused);
    // float32 still runs there.
    expect(lc.matmul(lc.tensor(new Float32Array(4), [2, 2], { device: GPU }), lc.tensor(new Float32Array(4), [2, 2], { device: GPU }), { device: GPU }).device).toBe(GPU);
  });

  test('unpinned, the CPU computes it (with the reason on the fallback event)', async () => {
    const reasons: string[] = [];
    const off = lc.onFallback((e) => reasons.push(`${e.op}: ${e.reason}`));
    try {
      const a = half([7, 9], 6), b = half([9, 5], 7);
      const y = lc.matmul(a.to(GPU), b.to(GPU));
      expect(y.device).toBe('cpu');
      expectClose(fromHalf(await y.data<Uint16Array>()), exactReference(matmul, [a, b], {}).output, float16Tol(9));
    } finally {
      off();
    }
    expect(reasons.some((r) => r.startsWith('matmul:') && reason.test(r))).toBe(true);
  });

  test('a graph places float16 conv2d on the CPU, with the reason', async () => {
    const g = new lc.Graph();
    g.output('y', g.conv2d(g.input('x', [1, 2, 6, 6], 'float16'), g.constant(half([3, 2, 3, 3], 8)), { pads: [1, 1, 1, 1] }));
    const model = await lc.compile(g, { devices: [GPU, 'cpu'] });
    const { y } = await model.run({ x: half([1, 2, 6, 6], 9) });
    expect(model.placement[0]!.device).toBe('cpu');
    expect(model.placement[0]!.reason).toMatch(reason);
    expect(y!.dtype).toBe('float16');
    expect(y!.shape).toEqual([1, 3, 6, 6]);
  });

  test('float16 tensors still move to the device and back, and views of them stay there', async () => {
    const h = half([3, 7], 10); // 21 elements: the last word half used
    const d = h.to(GPU);
    expect(Array.from(await d.data<Uint16Array>())).toEqual(Array.from(await h.data<Uint16Array>()));
    const t = lc.transpose(d);
    expect(t.device).toBe(GPU);
    expect(Array.from(await t.data<Uint16Array>())).toEqual(Array.from(await lc.transpose(h).data<Uint16Array>()));
    const r = lc.reshape(t, [21]);
    expect(r.device).toBe(GPU);
    expect(Array.from(await r.data<Uint16Array>())).toEqual(Array.from(await lc.reshape(lc.transpose(h), [21]).data<Uint16Array>()));
  });
});
