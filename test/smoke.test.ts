import * as lc from '../src/index.js';

test('matmul 2x2', async () => {
  const a = lc.tensor([[1, 2], [3, 4]]);
  const b = lc.tensor([[5, 6], [7, 8]]);
  expect(Array.from(await lc.matmul(a, b).data())).toEqual([19, 22, 43, 50]);
  console.log(lc.devices());
});
