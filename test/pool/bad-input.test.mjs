// Bad input to the Pool: CPython's argument errors (test_make_pool: Pool(0), bad maxtasksperchild,
// non-callable initializer) as RangeError/TypeError, wrong types on every call, values and
// functions that cannot be sent (PicklingError at the call site, as test_map_unplicklable), a pool
// that is not running (test_enter: "Pool not running"), join() before close(), a Pool made inside
// a pool worker, and an input iterable that throws (test_imap_handle_iterable_exception,
// test_imap_unordered_handle_iterable_exception, test_map_handle_iterable_exception).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Event, PicklingError, Pool, ProcessError, RemoteError, ThreadPool, activeChildren, cpuCount, getContext } from '../../dist/index.js';
import { forEachMethod, runnableMethods, within } from '../helpers/methods.mjs';
import { add, identity, makeLocalMoney, square, total } from '../fixtures/pool/tasks.mjs';
import { makePool } from '../fixtures/pool/faults.mjs';
import { holdUntil } from '../fixtures/pool/dispatch.mjs';

const range = (n) => Array.from({ length: n }, (_, i) => i);

class SayWhenError extends Error {}
/** CPython's exception_throwing_generator: yields 0.. and throws at position `when`. */
function* throwingAt(total, when) {
  if (when === -1) throw new SayWhenError('input failed before its first item');
  for (let i = 0; i < total; i++) {
    if (i === when) throw new SayWhenError(`input failed at ${i}`);
    yield i;
  }
}

describe('constructor arguments are checked before any worker starts (test_make_pool)', () => {
  test('a number of processes below 1 is a RangeError, a non-integer a TypeError', () => {
    assert.throws(() => new Pool(0), RangeError);
    assert.throws(() => new Pool(-1), RangeError);
    assert.throws(() => new Pool({ processes: 0 }), RangeError);
    assert.throws(() => new Pool(1.5), TypeError);
    assert.throws(() => new Pool('2'), TypeError);
    assert.throws(() => new ThreadPool(0), RangeError);
    assert.throws(() => new (getContext('spawn').Pool)(0), RangeError);
  });

  test('more workers than the bound (1024, or the CPUs if more) is a RangeError, before any worker starts', () => {
    const most = Math.max(1024, cpuCount());
    const before = activeChildren().length;
    for (const make of [() => new Pool(1e6), () => new Pool({ processes: most + 1 }), () => new ThreadPool(most + 1), () => new (getContext('spawn').Pool)(1e6)]) {
      assert.throws(make, (error) => {
        assert.ok(error instanceof RangeError, `${error}`);
        assert.match(error.message, new RegExp(`at most ${most} \\(got \\d+\\)`));
        return true;
      });
    }
    assert.equal(activeChildren().length, before, 'no worker started');
  });

  test('maxTasksPerChild must be a positive integer or null', () => {
    assert.throws(() => new Pool({ processes: 1, maxTasksPerChild: 0 }), RangeError);
    assert.throws(() => new Pool({ processes: 1, maxTasksPerChild: -1 }), RangeError);
    assert.throws(() => new Pool(1, null, [], 0), RangeError, 'positional form');
    assert.throws(() => new Pool({ processes: 1, maxTasksPerChild: 2.5 }), TypeError);
    assert.throws(() => new Pool({ processes: 1, maxTasksPerChild: '3' }), TypeError);
  });

  test('the initializer must be callable and initargs an array', () => {
    assert.throws(() => new Pool({ processes: 1, initializer: 3 }), TypeError);
    assert.throws(() => new Pool({ processes: 1, initializer: 'square' }), TypeError);
    assert.throws(() => new Pool(1, {}), TypeError, 'positional form');
    assert.throws(() => new Pool({ processes: 1, initializer: square, initargs: 5 }), TypeError);
  });

  test('a closure as initializer is refused at construction with PicklingError naming the fix', () => {
    const init = (value) => value;
    for (const context of runnableMethods(['spawn', 'thread'])) {
      let made;
      try {
        made = new Pool({ processes: 2, context, initializer: init });
      } catch (error) {
        assert.ok(error instanceof PicklingError, `${error}`);
        assert.match(error.message, /'init'/);
        assert.match(error.message, /Fix:/);
        continue;
      } finally {
        if (made) void made.terminate();
      }
      assert.fail(`${context}: a Pool with a closure as initializer was created`);
    }
  });

  test('an unknown context is refused', () => {
    assert.throws(() => new Pool({ processes: 1, context: 42 }), TypeError);
    assert.throws(() => new Pool({ processes: 1, context: 'fork' }), /fork/);
    assert.throws(() => new Pool({ processes: 1, context: 'nope' }));
  });
});

forEachMethod((ctx) => {
  let pool;
  before(() => {
    pool = new ctx.Pool(2);
  });
  after(async () => {
    await within(pool.terminate(), 10_000, 'pool.terminate()');
  });

  test('calls with arguments of the wrong type throw TypeError/RangeError', async () => {
    assert.throws(() => pool.applyAsync('square', [1]), TypeError);
    assert.throws(() => pool.applyAsync(square, 1), TypeError, 'args must be an array');
    assert.throws(() => pool.applyAsync(square, [1], 'options'), TypeError);
    assert.throws(() => pool.applyAsync(square, [1], { callback: 5 }), TypeError);
    assert.throws(() => pool.applyAsync(square, [1], { errorCallback: 'x' }), TypeError);
    assert.throws(() => pool.applyAsync(square, [1], { signal: {} }), TypeError);
    await assert.rejects(pool.apply(null, []), TypeError);
    await assert.rejects(pool.map(square, 5), TypeError, 'not iterable');
    await assert.rejects(pool.map(square, null), TypeError);
    await assert.rejects(pool.map(42, [1]), TypeError);
    await assert.rejects(pool.map(square, [1], { chunksize: 0 }), RangeError);
    await assert.rejects(pool.map(square, [1], { chunksize: 1.5 }), TypeError);
    await assert.rejects(pool.map(square, [1], { onProgress: 'yes' }), TypeError);
    assert.throws(() => pool.mapAsync(square, 5), TypeError);
    assert.throws(() => pool.mapAsync(square, [1], { chunksize: -2 }), RangeError);
    assert.throws(() => pool.starmapAsync(add, [1, 2]), TypeError, 'items must be arrays of arguments');
    assert.throws(() => pool.imap(square, 5), TypeError);
    assert.throws(() => pool.imap(square, [1], { chunksize: 0 }), RangeError);
    assert.throws(() => pool.imap(square, [1], { bufferSize: 0 }), RangeError);
    assert.throws(() => pool.imapUnordered(undefined, [1]), TypeError);
    assert.equal(await pool.apply(square, [4]), 16, 'the pool is unaffected');
  });

  test('functions and values that cannot be sent are refused at the call site with PicklingError (test_map_unplicklable)', async () => {
    const local = (x) => x;
    const checks = [
      () => pool.applyAsync(local, [1]),
      () => pool.applyAsync(function notExported() {}, []),
      () => pool.applyAsync(square.bind(null), [1]),
      () => pool.applyAsync(Math.max, [1, 2]),
      () => pool.applyAsync(identity, [Symbol('token')]),
      () => pool.applyAsync(identity, [{ nested: [() => 1] }]),
      () => pool.mapAsync(identity, [1, Symbol('late')]),
      () => pool.mapAsync(local, [1]),
      () => pool.starmapAsync(add, [[1, Symbol('s')]]),
    ];
    for (const [i, call] of checks.entries()) {
      assert.throws(call, (error) => {
        assert.ok(error instanceof PicklingError, `check ${i}: ${error}`);
        assert.equal(error.code, 'ERR_MP_PICKLING');
        assert.match(error.message, /Fix:|fix/i, `check ${i}: the message says how to fix it`);
        return true;
      });
    }
    assert.throws(() => pool.applyAsync(local, [1]), /local|anonymous|arrow/, 'the message names the function');
    await assert.rejects(pool.map(identity, [1, 2, Symbol('x')]), PicklingError);
    await assert.rejects(pool.apply(local, [1]), PicklingError);
    await assert.rejects(async () => {
      for await (const v of pool.imap(identity, [1, Symbol('x')])) assert.equal(v, 1);
    }, PicklingError);
    assert.deepEqual(await pool.map(square, [1, 2]), [1, 4], 'nothing was sent; the pool still serves');
  });

  test('what cannot be sent is named where the caller put it: args[i], iterable[i], initargs[i]', async () => {
    const money = makeLocalMoney(5);
    const refusedAt = (path) => (error) => {
      assert.ok(error instanceof PicklingError, `${error}`);
      assert.ok(error.message.startsWith(`Cannot send ${path}, `), error.message);
      return true;
    };
    assert.throws(() => pool.applyAsync(total, [money, money]), refusedAt("args[0]"));
    assert.match(String(await pool.apply(total, [1, { m: money }]).catch((e) => e)), /args\[1\]\.m, an instance of class 'LocalMoney'.*registerClass\(LocalMoney\)/);
    await assert.rejects(pool.map(identity, [1, 2, 3, 4, money], { chunksize: 2 }), refusedAt('iterable[4]'));
    await assert.rejects(pool.starmap(add, [[1, 2], [3, Symbol('s')]]), refusedAt('iterable[1][1]'));
    await assert.rejects(async () => {
      for await (const v of pool.imap(identity, [0, 1, 2, { deep: [money] }])) assert.ok(v < 3);
    }, refusedAt('iterable[3].deep[0]'));
    assert.throws(() => new ctx.Pool({ processes: 1, initializer: identity, initargs: [1, money] }), refusedAt('initargs[1]'));
    assert.equal(await pool.apply(square, [3]), 9, 'nothing was sent; the pool still serves');
  });

  test('an input iterable that throws surfaces its error at its position', async () => {
    for (const chunksize of [1, 2]) {
      const seen = [];
      await assert.rejects(async () => {
        for await (const v of pool.imap(square, throwingAt(10, 5), { chunksize })) seen.push(v);
      }, SayWhenError);
      assert.deepEqual(seen, [0, 1, 4, 9, 16], `imap chunksize ${chunksize}: every result before the failing position`);

      const unordered = [];
      await assert.rejects(async () => {
        for await (const v of pool.imapUnordered(square, throwingAt(10, 5), { chunksize })) unordered.push(v);
      }, SayWhenError);
      assert.ok(unordered.length <= 5);
    }
    const first = [];
    await assert.rejects(async () => {
      for await (const v of pool.imap(square, throwingAt(10, 0))) first.push(v);
    }, SayWhenError);
    assert.deepEqual(first, []);
    for (let again = 0; again < 2; again++) {
      // Failing on the very first item, twice: nothing is left behind by the first failure.
      await assert.rejects(pool.map(square, throwingAt(1, -1), { chunksize: 1 }), SayWhenError);
      await assert.rejects(pool.imap(square, throwingAt(1, -1)).next(), SayWhenError);
      await assert.rejects(pool.imapUnordered(square, throwingAt(1, -1)).next(), SayWhenError);
    }
    /** CPython's SpecialIterable: an iterator whose next() always throws. */
    const special = { [Symbol.iterator]() { return this; }, next() { throw new SayWhenError('next failed'); } };
    await assert.rejects(pool.map(square, special), SayWhenError);
    await assert.rejects(pool.imap(square, special).next(), SayWhenError);
    const inputError = await pool.map(square, throwingAt(10, 3)).catch((error) => error);
    assert.ok(inputError instanceof SayWhenError, 'the input’s own error object, not a RemoteError (test_traceback)');
    assert.ok(!(inputError instanceof RemoteError));
    await assert.rejects(pool.starmap(add, throwingAt(10, 1)), SayWhenError);
    assert.throws(() => pool.mapAsync(square, throwingAt(10, 3)), SayWhenError);
    assert.deepEqual(await pool.map(square, [3]), [9]);
  });

  test('a Pool made inside a pool worker is refused', async () => {
    const outcome = await within(pool.apply(makePool), 20_000, 'makePool in a worker');
    assert.equal(outcome.refused, true, 'the nested Pool was created');
    assert.equal(outcome.name, 'ProcessError');
    assert.match(outcome.message, /inside a pool worker/);
  });
});

forEachMethod((ctx) => {
  test('join() while running throws; every call after close() or terminate() rejects with "Pool not running" (test_enter)', async () => {
    const pool = new ctx.Pool(2);
    try {
      await assert.rejects(pool.join(), (error) => error instanceof ProcessError && /running/.test(error.message));
      assert.equal(await pool.apply(square, [2]), 4);
      pool.close();
      pool.close(); // idempotent
      assert.equal(String(pool), '<Pool state=CLOSE pool_size=2>');
      const notRunning = (error) => error instanceof ProcessError && /Pool not running/.test(error.message);
      assert.throws(() => pool.applyAsync(square, [1]), notRunning);
      assert.throws(() => pool.mapAsync(square, [1]), notRunning);
      assert.throws(() => pool.starmapAsync(add, [[1, 2]]), notRunning);
      assert.throws(() => pool.imap(square, [1]), notRunning);
      assert.throws(() => pool.imapUnordered(square, [1]), notRunning);
      await assert.rejects(pool.apply(square, [1]), notRunning);
      await assert.rejects(pool.map(square, [1]), notRunning);
      await assert.rejects(pool.starmap(add, [[1, 2]]), notRunning);
      await within(pool.join(), 10_000, 'join after close');
      assert.equal(pool.workers.length, 0);
      await pool.terminate();
      assert.equal(String(pool), '<Pool state=TERMINATE pool_size=2>');
      assert.throws(() => pool.applyAsync(square, [1]), notRunning);
      await assert.rejects(pool.map(square, [1]), notRunning);
    } finally {
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });

  test('a pool terminated while tasks are running and queued refuses new calls with "Pool not running", at once and afterwards', async () => {
    const pool = new ctx.Pool(2);
    const started = new Event();
    const release = new Event(); // never set: the held tasks only end by terminate()
    const notRunning = (error) => error instanceof ProcessError && /Pool not running/.test(error.message);
    try {
      const held = [pool.applyAsync(holdUntil, [started, release]), pool.applyAsync(holdUntil, [started, release])];
      const queued = pool.mapAsync(square, range(20), { chunksize: 1 });
      await within(started.wait(), 20_000, 'a held task starting');
      assert.equal(queued.ready(), false, 'work is still pending when terminate() is called');
      const terminating = pool.terminate();
      // terminate() has not finished yet: the pool already refuses work.
      assert.throws(() => pool.applyAsync(square, [1]), notRunning);
      assert.throws(() => pool.mapAsync(square, [1]), notRunning);
      assert.throws(() => pool.imap(square, [1]), notRunning);
      await assert.rejects(pool.map(square, [1]), notRunning);
      await assert.rejects(pool.apply(square, [1]), notRunning);
      await within(terminating, 10_000, 'terminate with running tasks');
      assert.equal(String(pool), '<Pool state=TERMINATE pool_size=2>');
      for (const r of [...held, queued]) await assert.rejects(within(r.get(), 5_000, 'a pending result'), /terminated/);
      assert.throws(() => pool.applyAsync(square, [1]), notRunning);
      assert.throws(() => pool.starmapAsync(add, [[1, 2]]), notRunning);
      assert.throws(() => pool.imapUnordered(square, [1]), notRunning);
      await assert.rejects(pool.map(square, [1]), notRunning);
      await assert.rejects(pool.starmap(add, [[1, 2]]), notRunning);
    } finally {
      release.set();
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });
});
