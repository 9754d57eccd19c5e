// The fair dispatcher (src/pool/core.ts): a worker running a long task is not given short tasks
// to queue behind it while the other worker is free. With one task held on one worker, every
// short task submitted meanwhile, by applyAsync or imapUnordered, runs on the other worker and
// completes while the long one still runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Event } from '../../dist/index.js';
import { forEachMethod, within } from '../helpers/methods.mjs';
import { holdUntil, nameOf } from '../fixtures/pool/dispatch.mjs';

const range = (n) => Array.from({ length: n }, (_, i) => i);
const BOUND = 15_000; // a hang guard only: short tasks finish in milliseconds unless queued behind the held one

/** The results of `results` (AsyncResults); if they do not all arrive, fails naming the stuck ones. */
async function settledOrStuck(results, how) {
  try {
    return await within(Promise.all(results.map((r) => r.get())), BOUND, `short tasks by ${how}`);
  } catch (error) {
    const stuck = results.flatMap((r, i) => (r.ready() ? [] : [i]));
    throw new Error(`${error.message}; still pending (queued behind the long task?): items ${stuck}`);
  }
}

forEachMethod((ctx) => {
  test('short tasks never queue behind a long one: the other worker runs them all while it is held', async () => {
    const pool = new ctx.Pool(2);
    const started = new Event();
    const release = new Event();
    try {
      const names = pool.workers.map((w) => w.name);
      const long = pool.applyAsync(holdUntil, [started, release]);
      assert.equal(await within(started.wait(), 20_000, 'the long task starting'), true);

      // First wave: the short function has never been measured.
      const singles = range(20).map((i) => pool.applyAsync(nameOf, [i]));
      const first = await settledOrStuck(singles, 'applyAsync');
      // Second wave: now measured, so the dispatcher would let a worker hold many of them at once.
      const second = [];
      const stream = pool.imapUnordered(nameOf, range(20));
      for (let i = 0; i < 20; i++) second.push((await within(stream.next(), BOUND, `imapUnordered result ${i} (queued behind the long task?)`)).value);
      assert.equal((await within(stream.next(), BOUND, 'imapUnordered end')).done, true);
      const third = await settledOrStuck(range(20).map((i) => pool.applyAsync(nameOf, [100 + i])), 'applyAsync, measured');

      assert.equal(long.ready(), false, 'the long task is still running');
      assert.equal(release.isSet(), false);
      assert.deepEqual(first.map(([x]) => x), range(20));
      assert.deepEqual(second.map(([x]) => x).sort((a, b) => a - b), range(20));
      assert.deepEqual(third.map(([x]) => x), range(20).map((i) => 100 + i));
      const ranOn = new Set([...first, ...second, ...third].map(([, name]) => name));
      assert.equal(ranOn.size, 1, `every short task ran on one worker: ${[...ranOn]}`);

      release.set();
      const holder = await within(long.get(), 20_000, 'the long task after release');
      assert.ok(names.includes(holder), `${holder} is one of the pool's workers`);
      assert.ok(!ranOn.has(holder), `no short task ran on ${holder}, the worker holding the long one`);
      assert.equal(pool.workers.length, 2, 'no worker was replaced');
    } finally {
      release.set();
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });
});
