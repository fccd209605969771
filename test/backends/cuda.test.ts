// CUDA in the one binary: the addon built with nvcc carries SASS for sm_80/86/89/90 and PTX for
// compute_90, loads on machines without a GPU or driver, and lc.devices() says why CUDA is unavailable.
import { readFileSync } from 'node:fs';
import * as lc from '../../src/index.js';
import { native, nativeStatus } from '../../src/native.js';

const FATBIN_MAGIC = 0xba55ed50;

/** (kind, arch) of every fatbin entry in a binary: kind 1 = PTX, 2 = ELF (SASS); arch 80 = sm_80. */
function fatbinEntries(bytes: Buffer): Array<{ kind: 'ptx' | 'sass'; arch: number }> {
  const out: Array<{ kind: 'ptx' | 'sass'; arch: number }> = [];
  for (let i = bytes.indexOf(Buffer.from([0x50, 0xed, 0x55, 0xba])); i >= 0; i = bytes.indexOf(Buffer.from([0x50, 0xed, 0x55, 0xba]), i + 4)) {
    if (bytes.readUInt32LE(i) !== FATBIN_MAGIC || i + 16 > bytes.length) continue;
    const headerSize = bytes.readUInt16LE(i + 6);
    const end = i + headerSize + Number(bytes.readBigUInt64LE(i + 8));
    for (let p = i + headerSize; p + 32 <= Math.min(end, bytes.length);) {
      const kind = bytes.readUInt16LE(p);
      const entryHeader = bytes.readUInt32LE(p + 4);
      const size = Number(bytes.readBigUInt64LE(p + 8));
      if (kind === 1 || kind === 2) out.push({ kind: kind === 1 ? 'ptx' : 'sass', arch: bytes.readUInt32LE(p + 28) });
      if (entryHeader === 0) break;
      p += entryHeader + size;
    }
  }
  return out;
}

const cuda = native?.cudaInfo();
const built = cuda?.compiled ? test : test.skip;
if (!cuda?.compiled) console.log(`skipping CUDA binary checks: ${native ? cuda?.reason : 'the addon did not load'}`);

built('the binary carries SASS for sm_80, sm_86, sm_89, sm_90 and PTX for compute_90', () => {
  const entries = fatbinEntries(readFileSync(nativeStatus.path!));
  const sass = new Set(entries.filter((e) => e.kind === 'sass').map((e) => e.arch));
  const ptx = new Set(entries.filter((e) => e.kind === 'ptx').map((e) => e.arch));
  for (const arch of [80, 86, 89, 90]) expect({ arch, sass: sass.has(arch) }).toEqual({ arch, sass: true });
  expect(ptx.has(90)).toBe(true);
  expect(cuda!.architectures).toBe('sm_80,sm_86,sm_89,sm_90,compute_90');
});

test('lc.devices() lists CUDA with a reason whenever it is unavailable', () => {
  const info = lc.devices().find((d) => d.kind === 'cuda');
  expect(info).toBeDefined();
  if (!info!.available) expect(info!.reason).toEqual(expect.any(String));
  if (cuda?.compiled && !cuda.driverVersion) expect(info!.reason).toMatch(/no NVIDIA driver found/);
});
