/**
 * Bounded spinning before a wait sleeps: look again for at most SPIN_LIMIT_US microseconds
 * (never past the caller's timeout) whether what the wait is for has happened. A peer that answers
 * within that window is seen without either side entering the kernel: waking a sleeping thread
 * costs far more than the spin (tens of microseconds on a virtual machine). Used by futex waits
 * (a word of shared memory) and by connections (a readable socket).
 *
 * A spin happens only when the machine has more than one CPU, no more threads are runnable than
 * there are CPUs, and recent spins on this thread saw what they waited for. Sync spins look in a
 * tight loop; async spins look once per turn of the event loop (a setImmediate chain), so timers
 * and I/O go on between looks and the loop polls instead of sleeping only for the window.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** The longest a wait spins before sleeping, in microseconds. */
export const SPIN_LIMIT_US = 50;
const SPIN_LIMIT_MS = SPIN_LIMIT_US / 1000;
/**
 * The longest a `due` async spin lasts (an answer the caller knows is coming within microseconds):
 * long enough to cover a sleeping peer's wake-up (tens of microseconds on a virtual machine), so
 * this side is awake when the answer comes and answers back at once.
 */
export const DUE_SPIN_LIMIT_US = 200;
const DUE_SPIN_LIMIT_MS = DUE_SPIN_LIMIT_US / 1000;
const CPUS = availableParallelism();
const CAN_SPIN = CPUS > 1;

// Adaptive: a spin that sees the change earns credit, a full window in vain costs more. Without
// credit a thread only spins on every PROBE_EVERY-th wait, to notice when spinning pays again. On
// a busy machine (the peer waits for a CPU the spinner holds) and for long waits (a worker idle
// until the next job), spins fail and stop; in a quick hand-off between running peers they go on.
const CREDIT_MAX = 8;
const CREDIT_PER_SUCCESS = 1;
const CREDIT_PER_FAILURE = 2;
const PROBE_EVERY = 16;
let credit = CREDIT_MAX;
let sinceProbe = 0;

// Spinning only pays while the peer has a CPU to answer on. When more threads are runnable than
// there are CPUs (the kernel's instantaneous count, looked at every LOOK_EVERY_MS), a spinner would
// hold a CPU the peer needs, so waits sleep at once (as Go spins only while a CPU is idle). The
// count is a snapshot, often of a moment's crowd: once crowded, it is looked at again sooner.
// Where the kernel does not publish the count (no /proc/loadavg: macOS, Windows, some sandboxes),
// the credit alone decides; the file is not looked for again.
const LOOK_EVERY_MS = 50;
const LOOK_AGAIN_CROWDED_MS = 1;
let nextLook = 0;
let crowded = false;
let canCount = true;

/** Threads runnable now, or null where that cannot be known. */
function runnableThreads(): number | null {
  try {
    const match = / (\d+)\//.exec(readFileSync('/proc/loadavg', 'latin1'));
    if (match) return Number(match[1]);
  } catch {
    // not Linux, or no /proc
  }
  return null;
}

function isCrowded(now: number): boolean {
  if (canCount && now >= nextLook) {
    const runnable = runnableThreads();
    if (runnable === null) {
      canCount = false;
      crowded = false;
      return false;
    }
    crowded = runnable > CPUS;
    nextLook = now + (crowded ? LOOK_AGAIN_CROWDED_MS : LOOK_EVERY_MS);
  }
  return crowded;
}

/**
 * How long a spin may last now, in ms (0: do not spin): the window, cut to the caller's timeout.
 * A `due` spin (the caller knows the answer is due within the window) ignores the credit.
 */
function spinWindow(timeoutMs: number | null, due = false): number {
  if (!CAN_SPIN) return 0;
  const window = due ? DUE_SPIN_LIMIT_MS : SPIN_LIMIT_MS;
  const limit = timeoutMs !== null && timeoutMs < window ? timeoutMs : window;
  if (!(limit > 0)) return 0;
  if (credit <= 0 && !due) {
    if (++sinceProbe < PROBE_EVERY) return 0;
    sinceProbe = 0;
  }
  return isCrowded(performance.now()) ? 0 : limit;
}

function paid(): true {
  credit = Math.min(CREDIT_MAX, credit + CREDIT_PER_SUCCESS);
  return true;
}

function wasted(limit: number): false {
  // A window cut short by the caller's timeout says nothing about the peer.
  if (limit === SPIN_LIMIT_MS) credit = Math.max(0, credit - CREDIT_PER_FAILURE);
  return false;
}

/**
 * Calls `ready` in a tight loop for at most the spin window (and `timeoutMs`) until it returns
 * true; returns whether it did. `ready` is not called at all when spinning does not pay now, so
 * callers check once themselves first.
 */
export function spinUntil(ready: () => boolean, timeoutMs: number | null = null): boolean {
  const limit = spinWindow(timeoutMs);
  if (limit === 0) return false;
  const end = performance.now() + limit;
  do {
    if (ready()) return paid();
  } while (performance.now() < end);
  return ready() ? paid() : wasted(limit);
}

/**
 * The async twin of spinUntil: calls `ready` once per turn of the event loop, for at most the
 * window (opened at the first look: the turn before it is other callbacks' time). Resolves with
 * false early when `signal` aborts. With `due` (the caller knows an answer is coming within
 * microseconds, say a reply to a request it measured to take that long) it spins for up to
 * DUE_SPIN_LIMIT_US whatever the credit says, and its outcome does not count: this keeps a fast
 * request/reply pair spinning on both sides, where credit alone settles into both sides sleeping
 * (each spin failing because the other side sleeps, its wake-up outlasting the window).
 */
export function spinUntilAsync(
  ready: () => boolean,
  timeoutMs: number | null = null,
  signal?: AbortSignal,
  due = false,
): Promise<boolean> {
  const limit = spinWindow(timeoutMs, due);
  if (limit === 0) return Promise.resolve(false);
  const hit = due ? (): true => true : paid;
  const miss = due ? (): false => false : wasted;
  // Never past the caller's deadline, however long other callbacks hold the loop.
  const deadline = timeoutMs === null ? Infinity : performance.now() + timeoutMs;
  let end = -1;
  return new Promise((resolve) => {
    const look = (): void => {
      if (signal?.aborted) return resolve(false);
      if (ready()) return resolve(hit());
      const now = performance.now();
      if (end < 0) end = Math.min(now + limit, deadline);
      if (now < end) setImmediate(look);
      else resolve(ready() ? hit() : miss(limit));
    };
    setImmediate(look);
  });
}
