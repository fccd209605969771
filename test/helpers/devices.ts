import * as lc from '../../src/index.js';

/** Devices the per-op suites run on: every available one. LEPTON_REQUIRE_DEVICES names kinds whose absence fails. */
export function testDevices(): string[] {
  const all = lc.devices();
  const required = (process.env.LEPTON_REQUIRE_DEVICES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const kind of required) {
    const found = all.find((d) => d.kind === kind && d.available);
    if (!found) {
      const info = all.find((d) => d.kind === kind);
      throw new Error(`LEPTON_REQUIRE_DEVICES names ${kind}, but it is unavailable: ${info?.reason ?? 'unknown device kind'}`);
    }
  }
  const only = (process.env.LEPTON_TEST_DEVICES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const available = all.filter((d) => d.available && (only.length === 0 || only.includes(d.id) || only.includes(d.kind))).map((d) => d.id);
  for (const d of all.filter((d) => !d.available)) {
    if (!reported.has(d.id)) {
      reported.add(d.id);
      console.log(`skipping device ${d.id}: ${d.reason}`);
    }
  }
  return available;
}
const reported = new Set<string>();
