/**
 * Robustness: mutated copies of real models (bit flips, truncation, inserted random bytes,
 * overwritten varints) go through decoding, checking and, when they still plan, a run on the
 * CPU. Every failure must be a LeptonError; an unexpected exception that the runner wrapped as
 * KERNEL_ERROR (its cause not a LeptonError) counts as a failure too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import '../../src/index.js';
import { LeptonError } from '../../src/errors.js';
import { decodeModel, decodeTensorProto } from '../../src/onnx/proto.js';
import { planModel, runPlan } from '../../src/onnx/run.js';
import { tensorFromProto } from '../../src/onnx/tensor.js';
import type { Tensor } from '../../src/tensor.js';
import { rng, randomInt } from '../helpers/random.js';
import { dataFiles, modelsDir, nodeTestsDir, testFolders } from './helpers.js';

interface Seed { name: string; bytes: Uint8Array; inputs: Record<string, Tensor> }

function seeds(): Seed[] {
  const out: Seed[] = [];
  const add = (name: string, folder: string) => {
    const bytes = readFileSync(path.join(folder, 'model.onnx'));
    const inputs: Record<string, Tensor> = {};
    for (const f of dataFiles(path.join(folder, 'test_data_set_0'), 'input')) {
      const p = decodeTensorProto(readFileSync(f));
      inputs[p.name] = tensorFromProto(p);
    }
    out.push({ name, bytes: new Uint8Array(bytes), inputs });
  };
  const models = modelsDir();
  if (models) add('mnist', path.join(models, 'mnist'));
  const tests = nodeTestsDir();
  if (tests) {
    // A spread of op families, including typed-field constants in the expanded graphs.
    const wanted = /^(test_conv_with_strides_padding|test_gemm_all_attributes|test_reduce_sum_keepdims_random|test_reduce_l2_keep_dims_random_expanded|test_softmax_axis_1_expanded|test_gelu_tanh_1_expanded|test_maxpool_2d_pads|test_averagepool_2d_ceil|test_batchnorm_epsilon|test_reshape_negative_dim|test_argmax_keepdims_random|test_transpose_all_permutations_3|test_relu_expanded_ver18|test_flatten_axis2|test_add_bcast|test_matmul_4d)$/;
    for (const name of testFolders(tests).filter((n) => wanted.test(n))) add(name, path.join(tests, name));
  }
  return out;
}

type Mutation = (b: Uint8Array, r: () => number) => Uint8Array;

const mutations: Record<string, Mutation> = {
  bitflips(b, r) {
    const c = b.slice();
    for (let k = randomInt(r, 1, 8); k > 0; k--) c[randomInt(r, 0, c.length - 1)]! ^= 1 << randomInt(r, 0, 7);
    return c;
  },
  truncate(b, r) {
    return b.slice(0, randomInt(r, 0, b.length - 1));
  },
  insert(b, r) {
    const at = randomInt(r, 0, b.length);
    const junk = Uint8Array.from({ length: randomInt(r, 1, 16) }, () => randomInt(r, 0, 255));
    const c = new Uint8Array(b.length + junk.length);
    c.set(b.subarray(0, at));
    c.set(junk, at);
    c.set(b.subarray(at), at + junk.length);
    return c;
  },
  /** Large varint-looking values (0xff runs) where lengths, dims and attributes live. */
  bigVarint(b, r) {
    const c = b.slice();
    const at = randomInt(r, 0, c.length - 1);
    for (let i = at; i < Math.min(c.length, at + randomInt(r, 1, 9)); i++) c[i] = 0xff;
    return c;
  },
  /** Swap two small byte ranges: structurally plausible but wrong messages. */
  swap(b, r) {
    const c = b.slice();
    const n = randomInt(r, 1, 8);
    const i = randomInt(r, 0, Math.max(0, c.length - n)), j = randomInt(r, 0, Math.max(0, c.length - n));
    const tmp = c.slice(i, i + n);
    c.copyWithin(i, j, j + n);
    c.set(tmp.subarray(0, Math.min(n, c.length - j)), j);
    return c;
  },
};

const ITERATIONS = Number(process.env.LEPTON_FUZZ_ITERATIONS ?? 3000);

const all = seeds();
const suite = all.length ? describe : describe.skip;

suite('onnx import fuzzing', () => {
  test(`${ITERATIONS} mutated models fail only with LeptonError`, async () => {
    const r = rng(20261123);
    const names = Object.keys(mutations);
    const bad: string[] = [];
    const codes: Record<string, number> = {};
    let decoded = 0, planned = 0, ran = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const seed = all[it % all.length]!;
      const how = names[randomInt(r, 0, names.length - 1)]!;
      const bytes = mutations[how]!(seed.bytes, r);
      try {
        const model = decodeModel(bytes);
        decoded++;
        const plan = planModel(model);
        planned++;
        const outs = await runPlan(plan, seed.inputs);
        ran++;
        for (const t of Object.values(outs)) {
          await t.data();
          t.dispose();
        }
      } catch (err) {
        // The runner turns an op's unexpected exception into KERNEL_ERROR, keeping it as the cause.
        const wrapped = err instanceof LeptonError && err.code === 'KERNEL_ERROR' && err.cause !== undefined && !(err.cause instanceof LeptonError);
        if (!(err instanceof LeptonError) || wrapped) {
          const e = (wrapped ? (err as LeptonError).cause : err) as Error;
          bad.push(`#${it} ${seed.name} ${how}: ${e?.constructor?.name}: ${e?.message ?? String(e)}`.slice(0, 400));
        } else {
          codes[err.code] = (codes[err.code] ?? 0) + 1;
        }
      }
    }
    console.log(`onnx fuzz: ${ITERATIONS} mutants of ${all.length} models: ${decoded} decoded, ${planned} planned, ${ran} ran to completion; errors by code ${JSON.stringify(codes)}; ${bad.length} unexpected`);
    expect(bad).toEqual([]);
  }, 600_000);

  test('1000 models with random attribute values fail only with LeptonError', async () => {
    const r = rng(99);
    const pick = (): bigint => BigInt(randomInt(r, -4, 12) * (r() < 0.1 ? 1000 : 1));
    const bad: string[] = [];
    let ran = 0;
    for (let it = 0; it < 1000; it++) {
      const seed = all[it % all.length]!;
      const model = decodeModel(seed.bytes);
      const nodes = model.graph.nodes.filter((n) => n.attributes.length > 0);
      if (!nodes.length) continue;
      const node = nodes[randomInt(r, 0, nodes.length - 1)]!;
      const attrs = node.attributes.map((a) => ({ ...a }));
      const a = attrs[randomInt(r, 0, attrs.length - 1)]!;
      Object.assign(a, { i: pick(), f: (r() - 0.5) * 10, ints: a.ints.map(pick).slice(0, randomInt(r, 0, a.ints.length + 1)) });
      const mutated = { ...model, graph: { ...model.graph, nodes: model.graph.nodes.map((n) => (n === node ? { ...n, attributes: attrs } : n)) } };
      try {
        const outs = await runPlan(planModel(mutated), seed.inputs);
        for (const t of Object.values(outs)) {
          await t.data();
          t.dispose();
        }
        ran++;
      } catch (err) {
        const wrapped = err instanceof LeptonError && err.code === 'KERNEL_ERROR' && err.cause !== undefined && !(err.cause instanceof LeptonError);
        if (!(err instanceof LeptonError) || wrapped) {
          const e = (wrapped ? (err as LeptonError).cause : err) as Error;
          bad.push(`#${it} ${seed.name} ${node.opType}.${a.name}: ${e?.constructor?.name}: ${e?.message ?? String(e)}`.slice(0, 400));
        }
      }
    }
    console.log(`onnx attribute fuzz: ${ran} of 1000 ran to completion; ${bad.length} unexpected`);
    expect(bad).toEqual([]);
  }, 600_000);

  test('decoding never throws anything but LeptonError on random bytes', () => {
    const r = rng(7);
    for (let it = 0; it < 2000; it++) {
      const bytes = Uint8Array.from({ length: randomInt(r, 0, 64) }, () => randomInt(r, 0, 255));
      for (const decode of [decodeModel, decodeTensorProto]) {
        try {
          decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(LeptonError);
        }
      }
    }
  });
});
