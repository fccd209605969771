// Native replays of compiled CPU plans (src/runtime/replay.ts): recorded on the second run,
// replayed after; results must equal the executor's for the same inputs, run after run.
import * as lc from '../../src/index.js';
import { native } from '../../src/native.js';
import { randomArray } from '../helpers/random.js';
import { expectNear, input, smallCnn } from './models.js';

const d = native ? describe : describe.skip;
if (!native) console.log('skipping replay tests: the native addon did not load (replays need it)');

d('replay of compiled CPU plans', () => {
  test('replayed runs equal the executor runs on the same inputs, and earlier outputs stay intact', async () => {
    const { graph, eager } = smallCnn();
    const model = await lc.compile(graph, { devices: ['cpu'] });
    const xa = input(3, 1), xb = input(3, 2);
    const first = (await model.run({ x: xa })).y!; // executor
    expect(model.replay.state).toBe('warm');
    const second = (await model.run({ x: xb })).y!; // recorded
    expect(model.replay.state).toBe('ready');
    const third = (await model.run({ x: xa })).y!; // replayed
    const fourth = (await model.run({ x: xb })).y!;
    expect(await third.data()).toEqual(await first.data());
    expect(await fourth.data()).toEqual(await second.data());
    await expectNear(fourth, eager(xb));
    await expectNear(third, eager(xa)); // not overwritten by the fourth run
    const steps = model.profile().records.map((r) => r.name);
    expect(steps).toEqual(model.placement.filter((p) => p.op !== 'flatten').map((p) => p.node));
  });

  test('strided inputs, concurrent runs and a second input shape', async () => {
    const { graph, eager } = smallCnn();
    const model = await lc.compile(graph, { devices: ['cpu'] });
    for (let i = 0; i < 3; i++) await model.run({ x: input(2, i) });
    expect(model.replay.state).toBe('ready');
    // a transposed view: copied in through its strides
    const strided = lc.transpose(lc.tensor(randomArray(200, 7), [1, 10, 10, 2]), { perm: [3, 0, 1, 2] });
    expect(strided.contiguous).toBe(false);
    await expectNear((await model.run({ x: strided })).y!, eager(strided));
    const xs = [0, 1, 2, 3].map((s) => input(2, 20 + s));
    const outs = await Promise.all(xs.map((x) => model.run({ x })));
    for (let i = 0; i < xs.length; i++) await expectNear(outs[i]!.y!, eager(xs[i]!));
    for (let i = 0; i < 3; i++) await expectNear((await model.run({ x: input(5, 30 + i) })).y!, eager(input(5, 30 + i)));
  });

  test('a step that computes in JS turns replays off, with the reason; results stay right', async () => {
    const g = new lc.Graph();
    const x = g.input('x', [4, 6]);
    g.output('y', g.l2(g.relu(x), { axes: [1] }));
    const model = await lc.compile(g, { devices: ['cpu'] });
    for (let i = 0; i < 4; i++) {
      const xt = lc.tensor(randomArray(24, 40 + i), [4, 6]);
      await expectNear((await model.run({ x: xt })).y!, lc.l2(lc.relu(xt), { axes: [1] }), 1e-5);
    }
    expect(model.replay.state).toBe('off');
    expect(model.replay.reason).toMatch(/l2/);
  });

  test('outputs that are an input, a constant or a view replay too', async () => {
    const g = new lc.Graph();
    const x = g.input('x', [2, 3]);
    const c = lc.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    g.output('same', x);
    g.output('constant', g.constant(c));
    g.output('view', g.transpose(g.relu(x)));
    const model = await lc.compile(g, { devices: ['cpu'] });
    for (let i = 0; i < 4; i++) {
      const xt = lc.tensor(randomArray(6, 60 + i), [2, 3]);
      const out = await model.run({ x: xt });
      expect(Array.from(await out.same!.data())).toEqual(Array.from(await xt.data()));
      expect(Array.from(await out.constant!.data())).toEqual([1, 2, 3, 4, 5, 6]);
      await expectNear(out.view!, lc.transpose(lc.relu(xt)), 0);
    }
    expect(model.replay.state).toBe('ready');
  });

  test('a disposed model runs again through a new plan', async () => {
    const { graph, eager } = smallCnn();
    const model = await lc.compile(graph, { devices: ['cpu'] });
    for (let i = 0; i < 3; i++) await model.run({ x: input(1, i) });
    model.dispose();
    await expectNear((await model.run({ x: input(1, 9) })).y!, eager(input(1, 9)));
  });
});
