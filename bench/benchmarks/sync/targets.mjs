// What the sync benchmark's children run. A child imports this module to find its target, so it
// holds nothing but targets (importing it has no side effects).

const now = () => Number(process.hrtime.bigint());

/** Generous bound on every hand-off wait: a lost peer ends the run with an error, not a hang. */
const LIMIT_MS = 30_000;

/**
 * One of the contending workers: says it is ready, waits at the gate (a Lock the parent holds),
 * then runs `n` x lock/increment/unlock on the shared counter (a RawArray('i', 1)). Its first and
 * last moment go to stamps[2 * slot] and stamps[2 * slot + 1] (a RawArray('d', 4); CLOCK_MONOTONIC, ns).
 */
export function countWithLock(lock, counter, n, gate, ready, stamps, slot) {
  Atomics.add(ready, 0, 1);
  if (!gate.acquireSync({ timeout: LIMIT_MS })) throw new Error('the gate never opened');
  gate.release();
  const t0 = now();
  for (let i = 0; i < n; i++) {
    lock.acquireSync();
    counter[0] += 1;
    lock.release();
  }
  const t1 = now();
  stamps[2 * slot] = t0;
  stamps[2 * slot + 1] = t1;
}

/** The far side of the Event ping-pong, blocking: waits for ping, clears it, sets pong; `total` times. */
export function eventPong(ping, pong, total) {
  for (let i = 0; i < total; i++) {
    if (!ping.waitSync({ timeout: LIMIT_MS })) throw new Error(`no ping after ${i} round trips`);
    ping.clear();
    pong.set();
  }
}

/** The same with `await ping.wait()`. */
export async function eventPongAsync(ping, pong, total) {
  for (let i = 0; i < total; i++) {
    if (!(await ping.wait({ timeout: LIMIT_MS }))) throw new Error(`no ping after ${i} round trips`);
    ping.clear();
    pong.set();
  }
}

/** The far side of the Semaphore ping-pong (CPython's idiom): acquire a, release b; `total` times. */
export function semaphorePong(a, b, total) {
  for (let i = 0; i < total; i++) {
    if (!a.acquireSync({ timeout: LIMIT_MS })) throw new Error(`no ping after ${i} round trips`);
    b.release();
  }
}

/** The same with `await a.acquire()`. */
export async function semaphorePongAsync(a, b, total) {
  for (let i = 0; i < total; i++) {
    if (!(await a.acquire({ timeout: LIMIT_MS }))) throw new Error(`no ping after ${i} round trips`);
    b.release();
  }
}

/**
 * The floor under both: the same hand-off as bare futex calls on two words of a RawArray, through
 * the package's native addon (`native` is its futex binding), without any class around them.
 */
export async function futexPong(words, total) {
  const { native } = await import('../../../dist/internal/native.js');
  const futex = native();
  for (let i = 0; i < total; i++) {
    while (Atomics.load(words, 0) === 0) futex.futexWaitSync(words, 0, 0, LIMIT_MS);
    Atomics.store(words, 0, 0);
    Atomics.store(words, 1, 1);
    futex.futexWake(words, 1, 1);
  }
}
