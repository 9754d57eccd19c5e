// The fair dispatcher (src/pool/core.ts): a worker running a long task is not given short tasks
// to queue behind it while the other worker is free. With one task held on one worker, every
// short task submitted meanwhile, by applyAsync or imapUnordered, runs on the other worker and
// completes while the long one still runs. And a map over a large array sends each worker only a
// little work ahead of what it runs, so a worker never holds the whole input in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Event } from '../../dist/index.js';
import { forEachMethod, within } from '../helpers/methods.mjs';
import { holdUntil, lookAhead, nameOf } from '../fixtures/pool/dispatch.mjs';

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

  test('a map over a large array sends each worker only a little work ahead of what it runs', async () => {
    const pool = new ctx.Pool(2);
    try {
      // Items of ~0.5 ms: a worker may hold about 2 ms of measured work, so a few chunks wait.
      const waiting = await within(pool.map(lookAhead, Array(400).fill(0.5), { chunksize: 1 }), 60_000, 'map of 400 half-millisecond items');
      assert.equal(waiting.length, 400);
      const most = Math.max(...waiting);
      assert.ok(most <= 8, `at most 8 chunks waited in a worker behind the running one (saw ${most}; sent without a bound, hundreds would)`);
      // Items of microseconds: a worker may hold thousands (2 ms of them, at most 4096), never the whole input.
      const tiny = await within(pool.map(lookAhead, Array(20_000).fill(0), { chunksize: 1 }), 60_000, 'map of 20,000 tiny items');
      assert.equal(tiny.length, 20_000);
      const mostTiny = Math.max(...tiny);
      assert.ok(mostTiny <= 4096, `at most 4096 chunks waited in a worker (saw ${mostTiny}; sent without a bound, thousands more would)`);
    } finally {
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });
});
