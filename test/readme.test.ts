// The README's API examples really run (against the built package, imported by its name).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();

test('README js examples run and print what their comments say', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThan(0);
  const dir = join(root, 'test', '.tmp');
  mkdirSync(dir, { recursive: true });
  try {
    blocks.forEach((code, i) => {
      const file = join(dir, `readme-${i}.mjs`);
      writeFileSync(file, code);
      const out = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8', env: { ...process.env, LEPTON_WEBGPU: process.env.LEPTON_WEBGPU } });
      // Every `console.log(...);  // expected` comment must match the printed line.
      const expectations = [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
      const lines = out.trim().split('\n');
      for (const expected of expectations) {
        const squash = (s: string) => s.replace(/\s+/g, '');
        const want = squash(expected.replace(/\s*\.\.\.$/, ''));
        expect({ expected, found: lines.some((l) => squash(l).includes(want)) }).toEqual({ expected, found: true });
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
