// A pool survives its workers dying (CPython's Pool hangs here: gh-66587). A worker that is
// SIGKILLed from outside, calls process.exit, or throws asynchronously while holding a task fails
// exactly that task with WorkerLostError (exit code / signal); tasks queued behind it run
// elsewhere, a replacement starts, and the pool keeps serving. Also CPython's test_terminate
// (terminate() with many pending tasks returns promptly, rejecting them; so does a task that
// never settles or loops on the CPU) and a failing
// initializer (the pool is broken, calls fail instead of hanging). A result the parent cannot
// rebuild fails its own task (CPython's pool hangs: gh-79492), and a task function whose module
// fails to load in the worker fails each of its calls.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { BroadcastChannel } from 'node:worker_threads';
import { Event, PicklingError, ProcessError, Queue, RemoteError, WorkerLostError } from '../../dist/index.js';
import { forEachMethod, within, PROCESS_METHODS } from '../helpers/methods.mjs';
import { pidAlive } from '../helpers/run-script.mjs';
import { badInit, exitWith, slowSquare, square } from '../fixtures/pool/tasks.mjs';
import { announceAndExit, announceAndRejectLater, announceAndThrowLater, announceAndWait, neverSettle, spinForever } from '../fixtures/pool/faults.mjs';
import { holdUntil } from '../fixtures/pool/dispatch.mjs';
import { describeItem, throwWithWorkerOnly, workerOnlyIfOdd } from '../fixtures/pool/registered-in-workers.mjs';
import { greet, Refused } from '../fixtures/pool/refuses-workers.mjs';

const range = (n) => Array.from({ length: n }, (_, i) => i);
const squares = (n) => range(n).map((i) => i * i);

const closers = [];
after(() => {
  for (const close of closers.splice(0)) close();
});

let channels = 0;
/**
 * How a task tells the test which worker holds it: a Queue for worker processes, a
 * BroadcastChannel for worker threads. `arg` goes in the task's args; `next()` gives the name.
 */
function announcer(method) {
  if (method === 'thread') {
    const name = `pool-faults-${process.pid}-${++channels}`;
    const bc = new BroadcastChannel(name);
    const names = [];
    let wake = null;
    bc.onmessage = (event) => {
      names.push(event.data);
      wake?.();
    };
    closers.push(() => bc.close());
    return {
      arg: name,
      next: async () => {
        while (names.length === 0) await new Promise((resolve) => (wake = resolve));
        return names.shift();
      },
    };
  }
  const q = new Queue();
  closers.push(() => q.close());
  return { arg: q, next: () => q.get() };
}

/** Waits until the pool has `n` workers again (replacements start asynchronously). */
async function refilled(pool, n) {
  while (pool.workers.length < n) await pool.apply(square, [1]);
  return pool.workers.length;
}

forEachMethod((ctx, method) => {
  async function withPool(options, body) {
    const pool = new ctx.Pool(options);
    try {
      await body(pool);
    } finally {
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  }

  test('a worker killed from outside fails exactly its running task; queued tasks still run', async () => {
    await withPool({ processes: 2 }, async (pool) => {
      assert.deepEqual(await pool.map(square, range(20)), squares(20)); // measure: short items may queue behind
      const a = announcer(method);
      const held = pool.applyAsync(announceAndWait, [a.arg, 60_000]);
      const holder = await within(a.next(), 20_000, 'task announcement');
      const others = pool.map(slowSquare, range(20), { chunksize: 1 });
      const victim = pool.workers.find((w) => w.name === holder);
      assert.ok(victim, `worker ${holder} is one of the pool's`);
      const victimPid = victim.pid;
      victim.kill();
      await assert.rejects(within(held.get(), 20_000, 'the lost task'), (error) => {
        assert.ok(error instanceof WorkerLostError, `${error}`);
        assert.equal(error.code, 'ERR_MP_WORKER_LOST');
        assert.equal(error.signal, 'SIGKILL');
        assert.equal(error.exitCode, null);
        assert.match(error.message, new RegExp(holder));
        return true;
      });
      assert.deepEqual(await within(others, 20_000, 'the other tasks'), squares(20), 'every other task completed');
      assert.equal(await refilled(pool, 2), 2, 'a replacement worker started');
      assert.ok(!pool.workers.some((w) => w.name === holder));
      if (method !== 'thread') assert.equal(pidAlive(victimPid), false);
      assert.deepEqual(await pool.map(square, range(10)), squares(10), 'the pool keeps serving');
    });
  });

  test('a worker calling process.exit while holding a task fails that task with its exit code', async () => {
    await withPool({ processes: 2 }, async (pool) => {
      const a = announcer(method);
      const results = await Promise.allSettled([
        pool.apply(square, [3]),
        pool.apply(announceAndExit, [a.arg, 7]),
        pool.apply(square, [4]),
        pool.apply(exitWith, [0]),
        pool.apply(square, [5]),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
      assert.deepEqual([results[0].value, results[2].value, results[4].value], [9, 16, 25]);
      assert.ok(results[1].reason instanceof WorkerLostError, `${results[1].reason}`);
      assert.equal(results[1].reason.exitCode, 7);
      assert.equal(results[1].reason.signal, null);
      assert.ok(results[3].reason instanceof WorkerLostError, 'exit code 0 while holding a task is still a lost task');
      assert.equal(results[3].reason.exitCode, 0);
      assert.equal(await refilled(pool, 2), 2);
      assert.deepEqual(await pool.map(square, range(8), { chunksize: 1 }), squares(8));
    });
  });

  test('an asynchronous throw in a worker (outside any task) fails the task it held', async () => {
    await withPool({ processes: 2 }, async (pool) => {
      const a = announcer(method);
      const lost = pool.applyAsync(announceAndThrowLater, [a.arg]);
      await within(a.next(), 20_000, 'task announcement');
      await assert.rejects(within(lost.get(), 20_000, 'the lost task'), (error) => {
        assert.ok(error instanceof WorkerLostError, `${error}`);
        assert.equal(error.exitCode, 1);
        return true;
      });
      assert.deepEqual(await pool.map(square, range(6)), squares(6));
    });
  });

  for (const [how, fault] of [
    ['an asynchronous throw', announceAndThrowLater],
    ['an unhandled promise rejection', announceAndRejectLater],
  ]) {
    test(`${how} in a worker (outside any task) fails exactly its task; a task running on the other worker succeeds; the pool refills`, async () => {
      const started = new Event();
      const release = new Event();
      await withPool({ processes: 2 }, async (pool) => {
        try {
          const held = pool.applyAsync(holdUntil, [started, release]);
          await within(started.wait(), 20_000, 'the held task starting');
          const a = announcer(method);
          const lost = pool.applyAsync(fault, [a.arg]);
          const victim = await within(a.next(), 20_000, 'task announcement');
          await assert.rejects(within(lost.get(), 20_000, 'the lost task'), (error) => {
            assert.ok(error instanceof WorkerLostError, `${error}`);
            assert.equal(error.exitCode, 1);
            assert.equal(error.signal, null);
            assert.match(error.message, new RegExp(victim));
            return true;
          });
          assert.equal(held.ready(), false, 'the task on the other worker is still running, undisturbed');
          release.set();
          const survivor = await within(held.get(), 20_000, 'the held task after release');
          assert.notEqual(survivor, victim, 'the two tasks ran at the same time on different workers');
          assert.equal(await refilled(pool, 2), 2, 'a replacement worker started');
          const names = pool.workers.map((w) => w.name);
          assert.ok(!names.includes(victim), `${victim} is gone: ${names}`);
          assert.ok(names.includes(survivor), `${survivor} was not replaced: ${names}`);
          assert.deepEqual(await pool.map(square, range(6), { chunksize: 1 }), squares(6));
        } finally {
          release.set();
        }
      });
    });
  }

  test('a worker dying inside a map chunk fails that map only; later calls succeed', async () => {
    await withPool({ processes: 2 }, async (pool) => {
      const before = pool.apply(slowSquare, [9, 50]);
      await assert.rejects(pool.starmap(exitWith, [[3]]), WorkerLostError);
      assert.equal(await before, 81, 'a task on the other worker was not disturbed');
      for (let round = 0; round < 3; round++) {
        await assert.rejects(pool.apply(exitWith, [round + 1]), (error) => error instanceof WorkerLostError && error.exitCode === round + 1);
      }
      assert.deepEqual(await pool.map(square, range(30), { chunksize: 2 }), squares(30), 'repeated deaths: the pool still serves');
      assert.equal(await refilled(pool, 2), 2);
    });
  });

  test('terminate() with thousands of pending tasks returns promptly and rejects them (test_terminate)', async () => {
    const pool = new ctx.Pool(2);
    let pids = [];
    try {
      pids = pool.workers.map((w) => w.pid);
      const pending = range(3000).map((i) => pool.applyAsync(slowSquare, [i, 20]));
      const bigMap = pool.mapAsync(slowSquare, range(2000), { chunksize: 1 });
      const stream = pool.imap(slowSquare, range(1000));
      const firstOfStream = stream.next().then(
        (step) => step,
        (error) => error,
      );
      await within(pending[0].get(), 20_000, 'the first task');
      await within(pool.terminate(), 10_000, 'terminate with pending tasks');
      assert.equal(String(pool), '<Pool state=TERMINATE pool_size=2>');
      assert.equal(pool.workers.length, 0);
      const settled = await within(Promise.allSettled(pending.map((r) => r.get())), 5_000, 'pending results to settle');
      const rejected = settled.filter((s) => s.status === 'rejected');
      assert.ok(rejected.length > 2500, `${rejected.length} pending tasks rejected`);
      for (const s of rejected) assert.ok(s.reason instanceof ProcessError && /terminated/.test(s.reason.message), `${s.reason}`);
      await assert.rejects(within(bigMap.get(), 5_000), /terminated/);
      const streamOutcome = await within(firstOfStream, 5_000, 'imap waiting at terminate');
      assert.ok(streamOutcome instanceof ProcessError && /terminated/.test(streamOutcome.message), `imap got ${JSON.stringify(streamOutcome)}`);
      assert.deepEqual(await stream.next(), { value: undefined, done: true }, 'the iteration is over');
      if (method !== 'thread') for (const pid of pids) assert.equal(pidAlive(pid), false, `worker ${pid} ended`);
      await pool.terminate(); // a second terminate is harmless
    } finally {
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });

  test('terminate() with a never-settling and a CPU-looping task ends every worker and rejects running and queued tasks', async () => {
    const pool = new ctx.Pool(2);
    const waiting = new Event();
    const spinning = new Event();
    try {
      const workers = [...pool.workers];
      const running = [pool.applyAsync(neverSettle, [waiting]), pool.applyAsync(spinForever, [spinning])];
      const queued = pool.mapAsync(square, range(10), { chunksize: 1 });
      await within(Promise.all([waiting.wait(), spinning.wait()]), 20_000, 'both tasks running');
      await within(pool.terminate(), 10_000, 'terminate with a task stuck on the CPU');
      for (const r of [...running, queued]) await assert.rejects(within(r.get(), 5_000, 'a pending result'), /Pool was terminated/);
      assert.equal(pool.workers.length, 0);
      for (const w of workers) {
        assert.equal(w.isAlive(), false, `${w.name} ended`);
        if (method !== 'thread') assert.equal(pidAlive(w.pid), false, `worker ${w.pid} ended`);
      }
    } finally {
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });

  test('a result this process cannot rebuild fails its own task with PicklingError, not a hang (gh-79492)', async () => {
    await withPool({ processes: 2 }, async (pool) => {
      await assert.rejects(within(pool.apply(workerOnlyIfOdd, [3]), 20_000, 'a result that cannot be rebuilt'), (error) => {
        assert.ok(error instanceof PicklingError, `${error}`);
        assert.match(error.message, /cannot be rebuilt in this process/);
        assert.match(error.message, /WorkerOnly/);
        return true;
      });
      await assert.rejects(within(pool.apply(throwWithWorkerOnly, [1]), 20_000, 'an error that cannot be rebuilt'), PicklingError);
      // A worker holding several chunks (the function is measured by now) sends their results in one
      // message; each result is rebuilt on its own, so only the task of the odd one fails.
      const results = await within(Promise.allSettled([0, 2, 1, 4].map((x) => pool.apply(workerOnlyIfOdd, [x]))), 20_000, 'mixed results');
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      assert.deepEqual(results.filter((r) => r.status === 'fulfilled').map((r) => r.value), [0, 2, 4]);
      await assert.rejects(within(pool.map(workerOnlyIfOdd, range(8), { chunksize: 2 }), 20_000, 'a map with such results'), PicklingError);
      assert.deepEqual(await pool.map(square, range(6)), squares(6), 'the pool still serves');
    });
  });

  test('a task function whose module fails to load in the worker fails each call with the reason', async () => {
    await withPool({ processes: 2 }, async (pool) => {
      for (const call of [() => pool.apply(greet, ['a']), () => pool.map(greet, ['a', 'b', 'c'], { chunksize: 1 })]) {
        await assert.rejects(within(call(), 20_000, 'a call of a function the worker cannot load'), (error) => {
          assert.ok(error instanceof RemoteError, `${error}`);
          assert.match(error.message, /refuses to load in a pool worker/);
          return true;
        });
      }
      assert.deepEqual(await pool.map(square, range(6)), squares(6), 'the pool still serves');
      assert.equal(pool.workers.length, 2);
    });
  });

  test('an argument whose module fails to load in the worker fails its call only; the function keeps working there', async () => {
    await withPool({ processes: 1 }, async (pool) => {
      await assert.rejects(within(pool.apply(describeItem, [new Refused(1)]), 20_000, 'a call with an argument the worker cannot rebuild'), RemoteError);
      assert.equal(await within(pool.apply(describeItem, [5]), 20_000, 'the same function, a plain argument'), 'number 5');
      assert.equal(pool.workers.length, 1, 'on the same worker');
    });
  });

  test('an initializer that throws breaks the pool: calls fail instead of hanging', async () => {
    await withPool({ processes: 2, initializer: badInit }, async (pool) => {
      await assert.rejects(within(pool.apply(square, [2]), 20_000, 'a call on a pool whose initializer fails'), (error) => {
        assert.ok(error instanceof ProcessError, `${error}`);
        assert.match(error.message, /initializer/);
        assert.match(error.message, /initializer exploded/);
        return true;
      });
      assert.equal(String(pool), '<Pool state=BROKEN pool_size=2>');
      assert.throws(() => pool.applyAsync(square, [1]), /Pool is broken/);
      await assert.rejects(pool.map(square, [1]), /Pool is broken/);
    });
  });
});

forEachMethod((ctx) => {
  test('a worker killed while idle is replaced and nothing is lost', async () => {
    const pool = new ctx.Pool(2);
    try {
      assert.equal(await pool.apply(square, [2]), 4);
      const [first] = pool.workers;
      first.kill();
      await within(first.join(), 10_000, 'join of the killed worker');
      assert.equal(first.exitCode, -9);
      assert.deepEqual(await within(pool.map(square, range(10), { chunksize: 1 }), 20_000), squares(10));
      assert.equal(await refilled(pool, 2), 2);
    } finally {
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });
}, PROCESS_METHODS);
