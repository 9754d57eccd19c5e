// Measures multiprocessing-ts for the sync benchmark, on the harness's requests (see
// lib/driver.mjs): uncontended Lock pairs in this process, a counter contended by two children,
// and hand-off round trips between this process and one child.
import { setTimeout as sleep } from 'node:timers/promises';
import * as mp from '../../lib/package.mjs';
import { serve } from '../../lib/serve.mjs';
import { countWithLock, eventPong, eventPongAsync, futexPong, semaphorePong, semaphorePongAsync } from './targets.mjs';

/** The addon's futex binding (internal to the package), for the floor rows; null if it moved. */
const futex = await import('../../../dist/internal/native.js').then((m) => m.native()).catch(() => null);

const now = () => process.hrtime.bigint();
const LIMIT_MS = 30_000;

/** Which primitives this build of the package has (the benchmark measures those). */
function features() {
  return {
    Lock: typeof mp.Lock === 'function',
    Event: typeof mp.Event === 'function',
    Semaphore: typeof mp.Semaphore === 'function',
    futex: futex !== null,
  };
}

/**
 * Uncontended pairs in this process, `batches` x `n` each: ns per pair, one number per batch.
 * `mode`: 'sync' (acquireSync/release), 'async' (await acquire()/release), or 'atomics' (the floor:
 * the same compare-and-swap and store on a word of shared memory, without the class around them).
 */
async function uncontended({ mode, n, batches }) {
  const lock = new mp.Lock();
  const word = mp.RawArray('i', 1);
  const results = [];
  for (let b = 0; b < batches; b++) {
    let t0;
    let t1;
    if (mode === 'sync') {
      t0 = now();
      for (let i = 0; i < n; i++) {
        lock.acquireSync();
        lock.release();
      }
      t1 = now();
    } else if (mode === 'async') {
      t0 = now();
      for (let i = 0; i < n; i++) {
        await lock.acquire();
        lock.release();
      }
      t1 = now();
    } else if (mode === 'atomics') {
      t0 = now();
      for (let i = 0; i < n; i++) {
        if (Atomics.compareExchange(word, 0, 0, 1) !== 0) throw new Error('the word is taken');
        Atomics.store(word, 0, 0);
      }
      t1 = now();
    } else {
      throw new Error(`unknown mode ${mode}`);
    }
    results.push(Number(t1 - t0) / n);
  }
  if (lock.isLocked()) throw new Error('the lock is still held');
  return results;
}

/** Waits (untimed setup) until `count` children have said they are ready; fails if one ends first. */
async function waitForReady(view, count, children) {
  const deadline = Date.now() + LIMIT_MS;
  while (Atomics.load(view, 0) < count) {
    const ended = children.find((p) => p.exitCode !== null);
    if (ended) throw new Error(`${ended.name} ended with exit code ${ended.exitCode} before it was ready`);
    if (Date.now() > deadline) throw new Error(`only ${Atomics.load(view, 0)} of ${count} children ready after ${LIMIT_MS} ms`);
    await sleep(1);
  }
}

function checkExits(processes, what) {
  for (const p of processes) if (p.exitCode !== 0) throw new Error(`${what}: ${p.name} ended with exit code ${p.exitCode}`);
}

/**
 * Two children (`method`) x `n` lock/increment/unlock on one shared counter. Both wait at a gate
 * until both are running; the time is from the first child's start to the last one's end.
 */
async function contended({ method, n }) {
  const Process = mp.getContext(method).Process;
  const lock = new mp.Lock();
  const gate = new mp.Lock();
  const counter = mp.RawArray('i', 1);
  const ready = mp.RawArray('i', 1);
  const stamps = mp.RawArray('d', 4);
  gate.acquireSync();
  const children = [0, 1].map((slot) => new Process({ target: countWithLock, args: [lock, counter, n, gate, ready, stamps, slot] }));
  try {
    for (const p of children) p.start();
    await waitForReady(ready, 2, children);
  } finally {
    gate.release();
  }
  await Promise.all(children.map((p) => p.join()));
  checkExits(children, `contended ${method}`);
  const total = counter[0];
  if (total !== 2 * n) throw new Error(`contended ${method}: the counter is ${total}, not ${2 * n}: updates were lost`);
  const s = stamps;
  const wallNs = Math.max(s[1], s[3]) - Math.min(s[0], s[2]);
  const overlapNs = Math.min(s[1], s[3]) - Math.max(s[0], s[2]);
  return { nsPerIteration: wallNs / (2 * n), wallMs: wallNs / 1e6, overlap: overlapNs / wallNs, total };
}

/**
 * Round trips between this process and one child (`method`): `warmup` untimed, then `n` timed.
 * kind 'event': two Events (set ping; wait pong; clear pong). kind 'semaphore': two Semaphore(0)s
 * (release a; acquire b). mode 'sync' uses the Sync twins on both sides, 'async' awaits on both.
 * kind 'futex': the floor, bare futex wait/wake on two words (sync only).
 */
async function pingpong({ kind, mode, method, n, warmup }) {
  const Process = mp.getContext(method).Process;
  const total = warmup + n;
  let ping;
  let pong;
  let target;
  let trip;
  if (kind === 'event') {
    ping = new mp.Event();
    pong = new mp.Event();
    target = mode === 'sync' ? eventPong : eventPongAsync;
    trip =
      mode === 'sync'
        ? () => {
            ping.set();
            const ok = pong.waitSync({ timeout: LIMIT_MS });
            pong.clear();
            return ok;
          }
        : async () => {
            ping.set();
            const ok = await pong.wait({ timeout: LIMIT_MS });
            pong.clear();
            return ok;
          };
  } else if (kind === 'semaphore') {
    ping = new mp.Semaphore(0);
    pong = new mp.Semaphore(0);
    target = mode === 'sync' ? semaphorePong : semaphorePongAsync;
    trip =
      mode === 'sync'
        ? () => {
            ping.release();
            return pong.acquireSync({ timeout: LIMIT_MS });
          }
        : async () => {
            ping.release();
            return pong.acquire({ timeout: LIMIT_MS });
          };
  } else if (kind === 'futex' && mode === 'sync') {
    const words = mp.RawArray('i', 2);
    ping = words;
    target = futexPong;
    trip = () => {
      Atomics.store(words, 0, 1);
      futex.futexWake(words, 0, 1);
      const deadline = performance.now() + LIMIT_MS;
      while (Atomics.load(words, 1) === 0) {
        if (performance.now() > deadline) return false;
        futex.futexWaitSync(words, 1, 0, LIMIT_MS);
      }
      Atomics.store(words, 1, 0);
      return true;
    };
  } else {
    throw new Error(`unknown ping-pong ${kind} ${mode}`);
  }
  const child = new Process({ target, args: kind === 'futex' ? [ping, total] : [ping, pong, total] });
  child.start();
  let t0 = null;
  try {
    for (let i = 0; i < total; i++) {
      if (i === warmup) t0 = now();
      const ok = mode === 'sync' ? trip() : await trip();
      if (!ok) throw new Error(`${kind} ${mode} ${method}: no answer after ${i} round trips`);
    }
  } catch (error) {
    child.kill();
    await child.join();
    throw error;
  }
  const t1 = now();
  await child.join();
  checkExits([child], `${kind} ping-pong ${mode} ${method}`);
  return { usPerRoundTrip: Number(t1 - t0) / 1e3 / n };
}

await serve({ features, uncontended, contended, pingpong });
