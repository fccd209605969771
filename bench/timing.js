// Timing loop shared by every bench: warm up, then repeat until a time budget is spent; report the median.

/** fn: async () => void. Returns median seconds per call. */
export async function timeAsync(fn, { minReps = 3, maxReps = 50, budgetSeconds = 1.0, warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  const start = process.hrtime.bigint();
  while (times.length < maxReps) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const spent = Number(process.hrtime.bigint() - start) / 1e9;
    if (times.length >= minReps && spent > budgetSeconds) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
