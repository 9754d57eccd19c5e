// What a worker's death does to the tasks it held. A worker runs the chunks it was sent in order
// and sends their results in batches, so when it dies it may hold chunks it finished (results not
// yet sent), the chunk it was running, and chunks it never started. A finished task never runs
// again: its result is read if it left the worker, otherwise it fails with WorkerLostError saying
// that it ran; the running one fails; only the never-started ones run elsewhere. A worker killed
// from outside while it starts is replaced; only workers that end by themselves while starting,
// several in a row, break the pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Event, ProcessError, RawArray, WorkerLostError } from '../../dist/index.js';
import { forEachMethod, within } from '../helpers/methods.mjs';
import { countRun, keepRunCounts } from '../fixtures/pool/counted.mjs';
import { waitForGate } from '../fixtures/pool/faults.mjs';
import { exitWith, square } from '../fixtures/pool/tasks.mjs';

const range = (n) => Array.from({ length: n }, (_, i) => i);

forEachMethod((ctx) => {
  test('a worker dying after finishing tasks whose results it had not sent yet: none of them runs again', async () => {
    const counts = RawArray('i', 16);
    const pool = new ctx.Pool({ processes: 1, initializer: keepRunCounts, initargs: [counts] });
    try {
      // Measured as short, the next calls go to the worker together, in one message.
      assert.deepEqual(await pool.map(countRun, range(8), { chunksize: 1 }), range(8));
      const calls = [10, 11, 12, 13].map((i) => pool.apply(countRun, [i, 0, 12]));
      const settled = await within(Promise.allSettled(calls), 20_000, 'the calls held by the dying worker');
      for (const i of [10, 11]) {
        const outcome = settled[i - 10];
        if (outcome.status === 'rejected') {
          assert.ok(outcome.reason instanceof WorkerLostError, `task ${i}: ${outcome.reason}`);
          assert.match(outcome.reason.message, /after it finished this task/);
          assert.match(outcome.reason.message, /result was lost/);
        } else {
          assert.equal(outcome.value, i, 'a result sent before the death is kept');
        }
      }
      assert.equal(settled[2].status, 'rejected');
      assert.ok(settled[2].reason instanceof WorkerLostError, `${settled[2].reason}`);
      assert.match(settled[2].reason.message, /while running this task/);
      assert.deepEqual(settled[3], { status: 'fulfilled', value: 13 }, 'a task the worker never started runs elsewhere');
      assert.deepEqual([...counts.slice(10, 14)], [1, 1, 1, 1], 'each task ran exactly once');
      assert.deepEqual(await pool.map(square, range(5)), range(5).map((i) => i * i), 'the pool still serves');
    } finally {
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });

  test('workers killed while busy with many short tasks: no task runs twice, each settles once, the pool serves', async () => {
    const N = 2000;
    const counts = RawArray('i', N);
    const pool = new ctx.Pool({ processes: 3, initializer: keepRunCounts, initargs: [counts] });
    try {
      const settledTimes = new Uint8Array(N);
      const failures = [];
      let done = 0;
      const killAt = new Set([300, 800, 1300]);
      const settledOne = (i) => {
        settledTimes[i]++;
        // Kill a worker at a few points of progress, while the others hold queued work.
        if (killAt.has(++done)) pool.workers.find((w) => w.isAlive())?.kill();
      };
      const calls = range(N).map((i) =>
        pool
          .applyAsync(countRun, [i, 0.25], {
            callback: () => settledOne(i),
            errorCallback: (error) => {
              failures.push([i, error]);
              settledOne(i);
            },
          })
          .wait(),
      );
      await within(Promise.all(calls), 60_000, 'every task to settle');
      assert.deepEqual([...new Set(settledTimes)], [1], 'every task settled exactly once');
      for (const [i, error] of failures) assert.ok(error instanceof WorkerLostError, `task ${i}: ${error}`);
      const twice = range(N).filter((i) => counts[i] > 1).map((i) => `#${i} x${counts[i]}`);
      assert.deepEqual(twice, [], 'tasks that ran more than once');
      const failed = new Set(failures.map(([i]) => i));
      assert.deepEqual(range(N).filter((i) => !failed.has(i) && counts[i] !== 1), [], 'every task that succeeded ran once');
      assert.deepEqual(await within(pool.map(square, range(10)), 20_000, 'a map after the kills'), range(10).map((i) => i * i));
    } finally {
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });
});

/** Waits (a turn at a time, for at most 20 s) for a worker of `pool` whose name is not in `known`. */
async function newWorker(pool, known) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const fresh = pool.workers.find((w) => !known.has(w.name));
    if (fresh) return fresh;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no replacement worker within 20 s (${String(pool)})`);
}

forEachMethod((ctx) => {
  test('workers killed from outside while starting, several in a row, are replaced: the pool keeps serving', async () => {
    const gate = new Event();
    gate.set();
    const pool = new ctx.Pool({ processes: 2, initializer: waitForGate, initargs: [gate] });
    try {
      assert.deepEqual(await pool.map(square, range(4)), range(4).map((i) => i * i));
      const known = new Set(pool.workers.map((w) => w.name));
      // Replacements now stay in their initializer, starting, until the gate opens.
      gate.clear();
      pool.workers[0].kill();
      for (let killed = 0; killed < 4; killed++) {
        const starting = await newWorker(pool, known);
        known.add(starting.name);
        starting.kill();
      }
      const replacement = await newWorker(pool, known);
      gate.set();
      assert.equal(String(pool), '<Pool state=RUN pool_size=2>');
      assert.deepEqual(await within(pool.map(square, range(6), { chunksize: 1 }), 20_000, 'a map after the kills'), range(6).map((i) => i * i));
      assert.ok(pool.workers.includes(replacement), 'the last replacement serves');
      assert.equal(pool.workers.length, 2);
    } finally {
      gate.set();
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });

  test('workers that end by themselves while starting, three in a row, break the pool with the reason', async () => {
    const pool = new ctx.Pool({ processes: 2, initializer: exitWith, initargs: [3] });
    try {
      await assert.rejects(within(pool.apply(square, [2]), 20_000, 'a call on a pool whose workers cannot start'), (error) => {
        assert.ok(error instanceof ProcessError, `${error}`);
        assert.match(error.message, /Pool is broken: 3 workers in a row ended by themselves before they were ready/);
        assert.match(error.message, /exited with code 3 while starting/);
        assert.doesNotMatch(error.message, /running this task/);
        return true;
      });
      assert.equal(String(pool), '<Pool state=BROKEN pool_size=2>');
      assert.throws(() => pool.applyAsync(square, [1]), /exited with code 3 while starting/);
    } finally {
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });
});
