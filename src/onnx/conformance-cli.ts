/**
 * `npm run conformance [-- [options] [dir ...]]`: ONNX backend node tests on every available device.
 *
 *   dir ...            folders laid out like onnx/backend/test/data/node (default: ../shared/onnx-node-tests
 *                      beside the repository root)
 *   --device <id>      only this device (repeatable: --device cpu --device webgpu); default: every available one
 *   --filter <regex>   only tests whose folder name matches
 *   --json <file>      write every row and the totals as JSON
 *   --quiet            print only failures and the totals
 *
 * Exits 1 when any test fails (unsupported tests do not fail the run), 2 on bad arguments.
 */
import { writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { devices } from '../index.js';
import { conformanceTotals, runConformanceDir, type ConformanceResult } from './conformance.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_DIR = path.resolve(repoRoot, '../shared/onnx-node-tests');

function usage(message: string): never {
  console.error(`conformance: ${message}\nusage: npm run conformance -- [--device <id>] [--filter <regex>] [--json <file>] [--quiet] [dir ...]`);
  process.exit(2);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        device: { type: 'string', multiple: true },
        filter: { type: 'string' },
        json: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log('usage: npm run conformance -- [--device <id>] [--filter <regex>] [--json <file>] [--quiet] [dir ...]');
    return 0;
  }
  const dirs = positionals.length ? positionals.map((d) => path.resolve(d)) : [DEFAULT_DIR];
  for (const d of dirs) if (!existsSync(d)) usage(`test folder ${JSON.stringify(d)} does not exist`);
  let filter: RegExp | undefined;
  try {
    filter = values.filter === undefined ? undefined : new RegExp(values.filter);
  } catch (err) {
    usage(`--filter must be a regular expression: ${(err as Error).message}`);
  }

  const all = devices();
  for (const d of all) if (!d.available) console.log(`skipping device ${d.id}: ${d.reason ?? 'unavailable'}`);
  const wanted = values.device ?? [];
  const selected = all.filter((d) => d.available && (wanted.length === 0 || wanted.includes(d.id) || wanted.includes(d.kind)));
  for (const w of wanted) {
    if (!all.some((d) => d.available && (d.id === w || d.kind === w))) usage(`--device ${JSON.stringify(w)} is not an available device (${all.filter((d) => d.available).map((d) => d.id).join(', ')})`);
  }

  const rows: ConformanceResult[] = [];
  const summary: Record<string, ReturnType<typeof conformanceTotals>> = {};
  for (const device of selected.map((d) => d.id)) {
    console.log(`\n== ${device} ==`);
    const mine: ConformanceResult[] = [];
    for (const dir of dirs) {
      const prefix = dirs.length > 1 ? `${path.basename(dir)}/` : '';
      const onResult = (r: ConformanceResult) => {
        if (values.quiet && r.status !== 'fail') return;
        const tag = r.status === 'pass' ? 'PASS' : r.status === 'fail' ? 'FAIL' : 'UNSUPPORTED';
        const detail = r.detail ? `  ${r.detail.split('\n').join(' ')}` : '';
        console.log(`${tag.padEnd(11)} ${prefix}${r.test} (${r.ms} ms)${detail}`);
      };
      const got = await runConformanceDir(dir, device, { filter, onResult });
      mine.push(...got.map((r) => (prefix ? { ...r, test: prefix + r.test } : r)));
    }
    rows.push(...mine);
    summary[device] = conformanceTotals(mine);
  }

  console.log('\ntotals:');
  for (const [device, t] of Object.entries(summary)) {
    console.log(`  ${device.padEnd(10)} ${t.pass} passed, ${t.fail} failed, ${t.unsupported} unsupported (of ${t.pass + t.fail + t.unsupported})`);
  }
  if (values.json) {
    writeFileSync(values.json, JSON.stringify({ dirs, devices: Object.keys(summary), summary, rows }, null, 1));
    console.log(`wrote ${values.json}`);
  }
  return Object.values(summary).some((t) => t.fail > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
