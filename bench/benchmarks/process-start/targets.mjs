// What the benchmark's children run. A child imports this module to find its target, so it
// holds nothing but targets (importing it has no side effects).
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Records the moment the target begins, on CLOCK_MONOTONIC (see lib/timing.mjs). */
export function stamp(path) {
  const now = process.hrtime.bigint();
  writeFileSync(path, String(now));
}

/** Does nothing: start/join cycles measure the library, not the work. */
export function noop() {}

/** A trivial pool task: the pool-churn case measures replacing workers, not the work. */
export function square(x) {
  return x * x;
}

/** Says it is running, then stays idle until `releasePath` exists (or `limitMs` passes). */
export async function idle(readyPath, releasePath, limitMs) {
  writeFileSync(readyPath, String(process.pid));
  const deadline = Date.now() + limitMs;
  while (!existsSync(releasePath) && Date.now() < deadline) await sleep(10);
}
