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

// The native CUDA entry points refuse bad input and report CUDA failures as coded errors: never a crash.
const cudaAddon = native?.cudaAlloc ? (native as unknown as import('../../src/native.js').CudaAddon) : undefined;
const withCudaBindings = cudaAddon ? test : test.skip;
if (!cudaAddon) console.log('skipping CUDA binding checks: this binary has no CUDA bindings');

withCudaBindings('CUDA bindings throw coded errors for bad arguments and for a missing device', () => {
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      return (err as { code?: string }).code;
    }
  };
  expect(codeOf(() => cudaAddon!.cudaFree(987654321))).toBe('NATIVE_ARGUMENT');
  expect(codeOf(() => cudaAddon!.cudaAlloc(-1, 16))).toBe('NATIVE_ARGUMENT');
  expect(codeOf(() => (cudaAddon!.cudaAlloc as unknown as (x: string) => number)('zero'))).toBe('NATIVE_ARGUMENT');
  const gpu = lc.devices().find((d) => d.id === 'cuda:0')?.available;
  if (!gpu) {
    // No usable device: allocation and launches fail with DEVICE_UNAVAILABLE, synchronously.
    expect(codeOf(() => cudaAddon!.cudaAlloc(0, 1024))).toBe('DEVICE_UNAVAILABLE');
    expect(codeOf(() => cudaAddon!.cudaUnary(0, 0, 1, 0, 4, 1, 0))).toBe('DEVICE_UNAVAILABLE');
  } else {
    // A view past the end of its buffer is refused before anything is queued.
    const id = cudaAddon!.cudaAlloc(0, 16);
    expect(codeOf(() => cudaAddon!.cudaUnary(0, 0, id, 0, 5, id, 0))).toBe('NATIVE_ARGUMENT');
    cudaAddon!.cudaFree(id);
  }
});

const gpuPresent = lc.devices().find((d) => d.id === 'cuda:0')?.available === true;
const onGpu = gpuPresent ? test : test.skip;
if (!gpuPresent) console.log(`skipping CUDA device tests: ${lc.devices().find((d) => d.kind === 'cuda')?.reason}`);

onGpu('tensors round-trip through cuda:0 and a matmul matches the CPU', async () => {
  const a = lc.tensor(Float32Array.from({ length: 6 * 5 }, (_, i) => Math.sin(i)), [6, 5]);
  const b = lc.tensor(Float32Array.from({ length: 5 * 7 }, (_, i) => Math.cos(i)), [5, 7]);
  const ga = a.to('cuda:0'), gb = b.to('cuda:0');
  expect(Array.from(await ga.data())).toEqual(Array.from(await a.data()));
  const want = await lc.matmul(a, b).data();
  const got = await lc.matmul(ga, gb).data();
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
});
