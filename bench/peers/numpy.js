// numpy (OpenBLAS) peer: one python process times every case it can express; absent numpy -> no column.
import { spawnSync } from 'node:child_process';

const SCRIPT = String.raw`
import json, sys, time
try:
    import numpy as np
except Exception as e:
    print(json.dumps({"error": "numpy unavailable: %s" % e})); sys.exit(0)
cases = json.loads(sys.stdin.read())
def timeit(fn, budget=1.0, min_reps=3, max_reps=50):
    fn(); fn()
    ts = []; start = time.perf_counter()
    while len(ts) < max_reps:
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
        if len(ts) >= min_reps and time.perf_counter() - start > budget: break
    ts.sort(); return ts[len(ts) // 2]
rng = np.random.default_rng(0)
out = {}
for c in cases:
    k = c["kind"]
    if k == "matmul":
        a = rng.standard_normal(c["a"], dtype=np.float32); b = rng.standard_normal(c["b"], dtype=np.float32)
        out[c["name"]] = timeit(lambda: a @ b)
    elif k == "reduce":
        x = rng.standard_normal(c["shape"], dtype=np.float32)
        fn = {"sum": np.sum, "max": np.max, "argmax": np.argmax}[c["op"]]
        ax = c.get("axis")
        out[c["name"]] = timeit(lambda: fn(x, axis=ax))
version = np.__version__
try:
    cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    blas = "%s %s" % (cfg.get("name"), cfg.get("version"))
except Exception:
    blas = "unknown BLAS"
print(json.dumps({"times": out, "version": "numpy %s (%s)" % (version, blas)}))
`;

/** cases: [{ name, kind: 'matmul'|'reduce', ... }] -> { times: {name: seconds}, version } or { error } */
export function runNumpy(cases) {
  const env = { ...process.env };
  // These pin old OpenBLAS kernels on some machines and slow current numpy; the peer runs at its best.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('python3', ['-c', SCRIPT], { input: JSON.stringify(cases), env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.error) return { error: `python3 unavailable: ${r.error.message}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { error: `numpy peer failed: ${(r.stderr || r.stdout).slice(0, 300)}` };
  }
}
