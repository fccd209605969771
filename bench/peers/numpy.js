// numpy (OpenBLAS) peer: a persistent python process times each case right after lepton does, so
// both see the same machine state. Absent python/numpy -> no column.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const SCRIPT = String.raw`
import json, sys, time
try:
    import numpy as np
except Exception as e:
    print(json.dumps({"error": "numpy unavailable: %s" % e}), flush=True); sys.exit(0)
try:
    cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    blas = "%s %s" % (cfg.get("name"), cfg.get("version"))
except Exception:
    blas = "unknown BLAS"
print(json.dumps({"version": "numpy %s (%s)" % (np.__version__, blas)}), flush=True)
def timeit(fn, budget, min_reps=3, max_reps=50):
    fn(); fn()
    ts = []; start = time.perf_counter()
    while len(ts) < max_reps:
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
        if len(ts) >= min_reps and time.perf_counter() - start > budget: break
    ts.sort(); return ts[len(ts) // 2]
rng = np.random.default_rng(0)
for line in sys.stdin:
    c = json.loads(line)
    k = c["kind"]
    if k == "matmul":
        a = rng.standard_normal(c["a"], dtype=np.float32); b = rng.standard_normal(c["b"], dtype=np.float32)
        fn = lambda: a @ b
    else:
        x = rng.standard_normal(c["shape"], dtype=np.float32)
        red = {"sum": np.sum, "max": np.max, "argmax": np.argmax}[c["op"]]
        fn = lambda: red(x, axis=c.get("axis"))
    print(json.dumps({"seconds": timeit(fn, c.get("budget", 1.0))}), flush=True)
    del fn
`;

/** Starts the peer; returns { version, time(caseSpec) -> Promise<seconds|undefined>, close() } or { error }. */
export async function startNumpy() {
  const env = { ...process.env };
  // These pin old OpenBLAS kernels on some machines and slow current numpy; the peer runs at its best.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const child = spawn('python3', ['-c', SCRIPT], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    return r.done ? undefined : JSON.parse(r.value);
  };
  const failed = new Promise((resolve) => child.on('error', (e) => resolve({ error: `python3 unavailable: ${e.message}` })));
  const hello = await Promise.race([next(), failed]);
  if (!hello || hello.error) {
    child.kill();
    return { error: hello?.error ?? 'numpy peer exited' };
  }
  return {
    version: hello.version,
    async time(spec) {
      child.stdin.write(`${JSON.stringify(spec)}\n`);
      return (await next())?.seconds;
    },
    close() {
      child.stdin.end();
    },
  };
}
