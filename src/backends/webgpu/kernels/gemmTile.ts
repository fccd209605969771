// The shared GEMM tile core's shape choice and its placeholders (kernels/wgsl/gemm_tile.wgsl): the
// accumulators and the unrolled multiply-add and store steps of one invocation's TRx16 register block.
// WGSL cannot unroll a loop over registers, and a loop indexing an accumulator array would put the
// accumulators in memory on some adapters (llvmpipe), so the steps are written out here, once per TR.

/** Rows per invocation; the workgroup tile is (4*TR) x 64. */
export type TileRows = 4 | 8 | 16;

/** Columns per workgroup tile (fixed: 4 invocations x 16 columns). */
export const TILE_N = 64;

/** The tile for an MxN output: tall tiles when M fills them, shorter ones for short M (less wasted work). */
export function tileRowsFor(M: number): TileRows {
  return M > 32 ? 16 : M > 16 ? 8 : 4;
}

const cache = new Map<TileRows, Readonly<Record<string, string>>>();

/** The placeholders TR, ACC, STEP and STORE for TR rows per invocation. */
export function tilePlaceholders(tr: TileRows): Readonly<Record<string, string>> {
  let text = cache.get(tr);
  if (text) return text;
  const rows = [...Array(tr).keys()];
  const cols = [0, 1, 2, 3];
  const each = (f: (r: number, j: number) => string, rs = rows) => rs.map((r) => cols.map((j) => f(r, j)).join(' '));
  // acc_r_j: row r, columns 4j..4j+3 of this invocation's block.
  const acc = each((r, j) => `var acc${r}_${j}: vec4f;`);
  // k-slice q (4 values of k): TR vec4 reads of A, 4x4 of B, 64*TR multiply-adds.
  const step = rows.map((r) => `let a${r} = tileA[(ra + ${r}u) * 4u + q];`);
  for (const kk of [0, 1, 2, 3]) {
    step.push('{', ...cols.map((j) => `  let b${j} = tileB[(q * 4u + ${kk}u) * 16u + cb + ${j}u];`));
    step.push(...each((r, j) => `acc${r}_${j} = fma(vec4f(a${r}[${kk}]), b${j}, acc${r}_${j});`).map((l) => `  ${l}`), '}');
  }
  // One row per iteration, then the rows move up: written out per row, the stores' bounds checks and
  // epilogues would multiply the code (and llvmpipe's compile time) by TR. The trip count comes from dims
  // so that the compiler keeps the loop (rows past M: none).
  const store = [
    'for (var r = 0u; r < min(TR, max(dims.x, row) - row); r++) {',
    `  ${cols.map((j) => `storeC4(batch, row + r, col + ${4 * j}u, acc0_${j}, dims);`).join(' ')}`,
    ...each((r, j) => `acc${r}_${j} = acc${r + 1}_${j};`, rows.slice(0, -1)).map((l) => `  ${l}`),
    '}',
  ];
  const indent = (lines: string[], n: number) => lines.join(`\n${' '.repeat(n)}`);
  text = { TR: String(tr), ACC: indent(acc, 2), STEP: indent(step, 6), STORE: indent(store, 2) };
  cache.set(tr, text);
  return text;
}
