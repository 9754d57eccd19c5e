/**
 * A look at the spares of a start method, for tests and diagnostics (not part of the public API):
 * how many are ready, booting, or taken while booting, and a way to wait for a given state.
 */
import type { StartMethod } from './popen.js';
import type { SpareCounts } from './spare-pool.js';
import { backendFor } from './start-method.js';

export type { SpareCounts } from './spare-pool.js';
export { setCpuPressureReader } from './cpu-pressure.js';

const NONE: SpareCounts = { ready: 0, booting: 0, launching: 0, ending: 0 };

/** The spares `method` keeps now (none for 'spawn'). */
export function sparesFor(method: StartMethod): SpareCounts {
  return backendFor(method).spares?.counts() ?? NONE;
}

/** Resolves once `predicate` holds for the spares of `method`, checked after every change. */
export function whenSpares(method: StartMethod, predicate: (counts: SpareCounts) => boolean): Promise<SpareCounts> {
  return backendFor(method).spares?.when(predicate) ?? Promise.resolve(NONE);
}

/** How long without a start before the spares of `method` shrink back (`null`: the default), counted from now. */
export function setSpareQuietPeriod(method: StartMethod, ms: number | null): void {
  backendFor(method).spares?.setQuietPeriod(ms);
}
