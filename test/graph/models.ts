// Small graphs shared by the graph tests, and their eager oracle.
import * as lc from '../../src/index.js';
import { randomArray } from '../helpers/random.js';

/** A tiny CNN: conv(relu) -> maxpool -> conv+bias add -> relu -> flatten -> gemm -> softmax. */
export function smallCnn(): { graph: lc.Graph; eager: (x: lc.Tensor) => lc.Tensor } {
  const w1 = lc.tensor(randomArray(4 * 1 * 3 * 3, 1, -0.5, 0.5), [4, 1, 3, 3]);
  const b1 = lc.tensor(randomArray(4, 2), [4]);
  const w2 = lc.tensor(randomArray(6 * 4 * 3 * 3, 3, -0.5, 0.5), [6, 4, 3, 3]);
  const b2 = lc.tensor(randomArray(6, 4), [6, 1, 1]);
  const wd = lc.tensor(randomArray(6 * 2 * 2 * 5, 5, -0.5, 0.5), [24, 5]);
  const bd = lc.tensor(randomArray(5, 6), [5]);
  const g = new lc.Graph();
  const x = g.input('x', [-1, 1, 10, 10]);
  let h = g.relu(g.conv2d(x, g.constant(w1), { bias: g.constant(b1) }));
  h = g.maxPool2d(h, { kernelShape: [2, 2], strides: [2, 2] });
  h = g.relu(g.add(g.conv2d(h, g.constant(w2)), g.constant(b2)));
  h = g.flatten(h);
  h = g.add(g.matmul(h, g.constant(wd)), g.constant(bd));
  g.output('y', g.softmax(h));
  const eager = (xt: lc.Tensor) => {
    let e = lc.relu(lc.conv2d(xt, w1, { bias: b1 }));
    e = lc.maxPool2d(e, { kernelShape: [2, 2], strides: [2, 2] });
    e = lc.relu(lc.add(lc.conv2d(e, w2), b2));
    e = lc.flatten(e);
    return lc.softmax(lc.add(lc.matmul(e, wd), bd));
  };
  return { graph: g, eager };
}

export function input(batch: number, seed = 9): lc.Tensor {
  return lc.tensor(randomArray(batch * 100, seed), [batch, 1, 10, 10]);
}

export async function expectNear(actual: lc.Tensor, expected: lc.Tensor, tol = 1e-4): Promise<void> {
  expect(actual.shape).toEqual(expected.shape);
  const a = await actual.data(), e = await expected.data();
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
}
