// Spares follow demand: after a burst, a start method's pool keeps booting spares in the
// background until its quiet period ends. A test that counts fds, threads or children first
// shrinks every pool back to its idle spare, so those boots do not look like a leak.
import { setSpareQuietPeriod, whenSpares } from '../../dist/process/spare-counts.js';
import { runnableMethods, within } from './methods.mjs';

const idle = (c) => c.ready + c.booting <= 1 && c.booting === 0 && c.launching === 0 && c.ending === 0;

/** Ends the surplus spares of every start method and waits until nothing boots or ends. */
export async function settleSpares() {
  for (const method of runnableMethods(['forkserver', 'thread'])) {
    setSpareQuietPeriod(method, 1);
    try {
      await within(whenSpares(method, idle), 20_000, `idle ${method} spares`);
    } finally {
      setSpareQuietPeriod(method, null);
    }
  }
}

/**
 * Settles the spares (see settleSpares), then waits until `method` keeps exactly its one idle
 * spare, booted: the state a test that samples fds or threads compares like with like.
 */
export async function settleToIdleSpare(method) {
  await settleSpares();
  if (!runnableMethods(['forkserver', 'thread']).includes(method)) return;
  const one = (c) => c.ready === 1 && c.booting === 0 && c.launching === 0 && c.ending === 0;
  await within(whenSpares(method, one), 20_000, `one idle ${method} spare`);
}
