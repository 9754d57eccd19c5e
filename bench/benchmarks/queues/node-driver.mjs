// Measures multiprocessing-ts for the queue benchmark, on the harness's requests (see
// lib/driver.mjs): this process puts items into a Queue, one child takes them.
import { setTimeout as sleep } from 'node:timers/promises';
import * as mp from '../../lib/package.mjs';
import { serve } from '../../lib/serve.mjs';
import { consumeAsync, consumeSync, weigh } from './targets.mjs';

const now = () => Number(process.hrtime.bigint());
const LIMIT_MS = 60_000;

/** The item maker of a case: ints, short strings, or one `size`-byte Uint8Array put again and again. */
function maker(item, size) {
  if (item === 'int') return (i) => i;
  if (item === 'str') return (i) => `item-${i}`;
  if (item === 'bytes') {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 255;
    return () => bytes;
  }
  throw new Error(`unknown item kind ${item}`);
}

async function waitForReady(ready, child) {
  const deadline = Date.now() + LIMIT_MS;
  while (Atomics.load(ready, 0) === 0) {
    if (child.exitCode !== null) throw new Error(`the consumer ended with exit code ${child.exitCode} before it was ready`);
    if (Date.now() > deadline) throw new Error(`the consumer was not ready after ${LIMIT_MS} ms`);
    await sleep(1);
  }
}

/**
 * One sample: a child (`method`) takes `n` items that this process puts, `mode` 'async' (`await
 * q.put()` / `await q.get()`) or 'sync' (`putSync` / `getSync`). Timed from just before the first
 * put to the child's last get (both CLOCK_MONOTONIC).
 */
async function throughput({ item, mode, method, n, size }) {
  const ctx = mp.getContext(method);
  const q = new ctx.Queue();
  const ready = mp.RawArray('i', 1);
  const stamps = mp.RawArray('d', 3);
  const make = maker(item, size);
  let expected = 0;
  for (let i = 0; i < n; i++) expected += weigh(make(i));
  const child = new ctx.Process({ target: mode === 'sync' ? consumeSync : consumeAsync, args: [q, n, ready, stamps] });
  child.start();
  let t0;
  let cpu0;
  let cpu;
  try {
    await waitForReady(ready, child);
    cpu0 = process.cpuUsage();
    t0 = now();
    if (mode === 'sync') {
      for (let i = 0; i < n; i++) q.putSync(make(i));
    } else {
      for (let i = 0; i < n; i++) await q.put(make(i));
    }
    await child.join({ timeout: LIMIT_MS });
    if (child.exitCode === null) throw new Error('the consumer did not finish');
    cpu = process.cpuUsage(cpu0);
  } catch (error) {
    child.kill();
    await child.join();
    throw error;
  }
  if (child.exitCode !== 0) throw new Error(`${item} ${mode} ${method}: the consumer ended with exit code ${child.exitCode}`);
  if (stamps[1] !== expected) throw new Error(`${item} ${mode} ${method}: items weigh ${stamps[1]}, not ${expected}: lost or damaged`);
  const seconds = (stamps[0] - t0) / 1e9;
  // CPU time of both processes (the producer's includes its wait for the child's exit, a few ms).
  const cpuMs = (cpu.user + cpu.system) / 1000 + stamps[2];
  return { itemsPerSecond: n / seconds, mbPerSecond: item === 'bytes' ? (n * size) / 1e6 / seconds : null, seconds, cpuMs };
}

await serve({ throughput });
