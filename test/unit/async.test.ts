import * as lc from '../../src/index.js';

test('a long kernel does not block the event loop', async () => {
  const n = 1024;
  const a = lc.tensor(new Float32Array(n * n).fill(1), [n, n]);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const t0 = Date.now();
  let y = a;
  for (let i = 0; i < 4; i++) y = lc.matmul(y, a); // queued chain, ~8.6 GFLOP
  const queuedIn = Date.now() - t0;
  await y.ready();
  clearInterval(timer);
  expect(queuedIn).toBeLessThan(50); // queuing returns at once
  if (lc.devices().find((d) => d.id === 'cpu')!.kernels === 'native') expect(ticks).toBeGreaterThan(5);
});
