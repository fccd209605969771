// Garbage passed straight to the native functions must give JS exceptions, never a crash.
import { native } from '../../src/native.js';

const d = native ? describe : describe.skip;
if (!native) console.log('skipping native boundary tests: the addon did not load');

d('native boundary', () => {
  const addon = native!;
  const f = (n: number) => new Float32Array(n);
  const expectThrow = (fn: () => unknown) => {
    let threw = false;
    try {
      const r = fn();
      if (r instanceof Promise) r.catch(() => undefined);
    } catch (e) {
      threw = true;
      expect((e as { code?: string }).code).toBe('NATIVE_ARGUMENT');
    }
    expect(threw).toBe(true);
  };

  test('gemm rejects short buffers, bad strides, wrong types, missing args', () => {
    expectThrow(() => addon.gemm(4, 4, 4, 1, f(15), 0, 4, 1, f(16), 0, 4, 1, 0, f(16), 0, 4, null, null, 0, true));
    expectThrow(() => addon.gemm(4, 4, 4, 1, f(16), 1, 4, 1, f(16), 0, 4, 1, 0, f(16), 0, 4, null, null, 0, true));
    expectThrow(() => addon.gemm(4, 4, 4, 1, f(16), 0, -4, 1, f(16), 0, 4, 1, 0, f(16), 0, 4, null, null, 0, true));
    expectThrow(() => addon.gemm(4, 4, 4, 1, new Float64Array(16) as never, 0, 4, 1, f(16), 0, 4, 1, 0, f(16), 0, 4, null, null, 0, true));
    expectThrow(() => addon.gemm(4, 4, 4, 1, f(16), 0, 4, 1, f(16), 0, 4, 1, 0, f(16), 0, 3, null, null, 0, true));
    expectThrow(() => addon.gemm(4, 4, 4, 1, f(16), 0, 4, 1, f(16), 0, 4, 1, 0, f(16), 0, 4, f(3), null, 0, true));
    expectThrow(() => addon.gemm(1e300, 4, 4, 1, f(16), 0, 4, 1, f(16), 0, 4, 1, 0, f(16), 0, 4, null, null, 0, true));
    expectThrow(() => addon.gemm(4.5, 4, 4, 1, f(16), 0, 4, 1, f(16), 0, 4, 1, 0, f(16), 0, 4, null, null, 0, true));
    expectThrow(() => (addon.gemm as unknown as () => void)());
    expectThrow(() => addon.gemmBatched(2, 2, 2, 1, f(4), [0, 4], 2, 1, f(8), [0, 4], 2, 1, 0, f(8), [0, 4], 2, false));
  });

  test('conv2d/pool reject inconsistent geometry and short buffers', () => {
    const p = [1, 1, 5, 5, 1, 3, 3, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1];
    expectThrow(() => addon.conv2d(p, f(24), f(9), null, f(9), 0, true));
    expectThrow(() => addon.conv2d([...p.slice(0, 5), 4, 4, ...p.slice(7)], f(25), f(9), null, f(16), 0, true));
    expectThrow(() => addon.conv2d([...p.slice(0, 17), 0], f(25), f(9), null, f(9), 0, true));
    expectThrow(() => addon.conv2d(p.slice(1), f(25), f(9), null, f(9), 0, true));
    expectThrow(() => addon.conv2d(p, f(25), f(9), null, f(9), 7, true));
    const q = [1, 1, 4, 4, 9, 9, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0];
    expectThrow(() => addon.maxPool2d(q, f(16), f(81), null, true));
    expectThrow(() => addon.avgPool2d([1, 1, 4, 4, 2, 2, 2, 2, 0, 2, 0, 0, 0, 0, 1, 1, 0], f(16), f(4), true));
  });

  test('reduce/elementwise reject out-of-bounds views and bad codes', () => {
    expectThrow(() => addon.reduce(0, [4, 4], [4, 1], 1, f(16), 1, f(4), true));
    expectThrow(() => addon.reduce(42, [4], [1], 0, f(4), 1, f(1), true));
    expectThrow(() => addon.reduce(0, new Array(17).fill(1), new Array(17).fill(1), 0, f(1), 1, f(1), true));
    expectThrow(() => addon.argReduce(true, false, [4, 0], [1, 1], 0, f(4), 1, new BigInt64Array(4), true));
    expectThrow(() => addon.binary(0, [4], f(3), 0, [1], f(4), 0, [1], f(4), true));
    expectThrow(() => addon.unary(99, f(4), 0, 4, f(4), true));
    expectThrow(() => addon.copyStrided([4], [1], 0, f(4), new Float64Array(4), true));
    expectThrow(() => addon.copyStrided([4], [1], 0, new Int16Array(4), new Int16Array(4), true));
    expectThrow(() => addon.softmax(2, 3, 4, f(23), 0, f(24), false, true));
    expectThrow(() => addon.batchnorm(1, 2, 2, f(4), f(1), f(2), f(2), f(2), 1e-5, f(4), true));
    expectThrow(() => addon.setThreads(-1));
  });

  test('a valid call still works after all that', async () => {
    const y = f(4);
    await addon.gemm(2, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 0, 2, 1, new Float32Array([1, 0, 0, 1]), 0, 2, 1, 0, y, 0, 2, null, null, 0, false);
    expect(Array.from(y)).toEqual([1, 2, 3, 4]);
  });

  test('recordings: kernels take only live recordings as their mode; programRun checks its arguments', () => {
    const x = f(8), y = f(8);
    expectThrow(() => addon.unary(0, x, 0, 8, y, {} as never));
    expectThrow(() => addon.unary(0, x, 0, 8, y, 1 as never));
    expectThrow(() => addon.programRun({} as never, null, true));
    expectThrow(() => addon.recordingMark(x as never, 0));
    const rec = addon.recordingNew();
    x.fill(-2);
    addon.recordingMark(rec, 3);
    expect(addon.unary(0, x, 0, 8, y, rec)).toBeUndefined(); // runs inline and is recorded
    expect([...y]).toEqual(new Array(8).fill(0));
    expect([...addon.recordingTags(rec)]).toEqual([3]);
    expectThrow(() => addon.programRun(rec, new Float64Array(0), true)); // one timing per launch
    expectThrow(() => addon.programRun(rec, null, 'yes' as never));
    x.fill(5);
    const timings = new Float64Array(1);
    addon.programRun(rec, timings, true);
    expect([...y]).toEqual(new Array(8).fill(5));
    expect(timings[0]).toBeGreaterThanOrEqual(0);
    expectThrow(() => addon.unary(0, x, 0, 8, y, rec)); // sealed by its first replay
    addon.recordingFree(rec);
    expectThrow(() => addon.programRun(rec, null, true));
    expectThrow(() => addon.recordingFree(rec));
  });
});
