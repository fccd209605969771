/**
 * Device health: failures mid-run are counted per device; a device that fails
 * UNHEALTHY_AFTER times in a row is left out of placement until markHealthy().
 */
const UNHEALTHY_AFTER = 3;
const failures = new Map<string, number>();

/** Counts a failure; returns true when this one made the device unhealthy. */
export function recordFailure(device: string): boolean {
  const n = (failures.get(device) ?? 0) + 1;
  failures.set(device, n);
  return n === UNHEALTHY_AFTER;
}

/** A success resets the count. */
export function recordSuccess(device: string): void {
  if (failures.has(device) && failures.get(device)! < UNHEALTHY_AFTER) failures.delete(device);
}

export function isHealthy(device: string): boolean {
  return (failures.get(device) ?? 0) < UNHEALTHY_AFTER;
}

/** Puts a device back into placement (after the user fixed it, or in tests). */
export function markHealthy(device: string): void {
  failures.delete(device);
}
