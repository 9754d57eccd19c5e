// The Pool's API as CPython's _TestPool exercises it (test_apply, test_map, test_starmap,
// test_starmap_async, test_map_async, test_map_async_callbacks, test_map_chunksize, test_async,
// test_async_timeout, test_imap, test_imap_unordered, test_empty_iterable, test_traceback,
// test_wrapped_exception, test_map_no_failfast, test_unpickleable_result, test_async_error_callback),
// on every start method, with one pool of 2 workers per start method.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PicklingError, ProcessError, RemoteError, TimeoutError } from '../../dist/index.js';
import { forEachMethod, within } from '../helpers/methods.mjs';
import { Money, add, fail, failOn, identity, slowSquare, square, throwString, total, unsendableResult } from '../fixtures/pool/tasks.mjs';
import { SayWhenError, failWithDetails, raiseLarge, rejectAsync, whoRuns } from '../fixtures/pool/faults.mjs';

const range = (n) => Array.from({ length: n }, (_, i) => i);
const squares = (n) => range(n).map((i) => i * i);

forEachMethod((ctx, method) => {
  let pool;
  before(() => {
    pool = new ctx.Pool(2);
  });
  after(async () => {
    await within(pool.terminate(), 10_000, 'pool.terminate()');
  });

  test('apply runs the function in a worker with the arguments (test_apply)', async () => {
    assert.equal(await pool.apply(square, [5]), 25);
    assert.equal(await pool.apply(add, [2, 3]), 5);
    assert.equal(await pool.apply(slowSquare, [7, 1]), 49, 'an async task is awaited');
    const [x, name] = await pool.apply(whoRuns, [1]);
    assert.equal(x, 1);
    assert.match(name, method === 'thread' ? /^ThreadPoolWorker-/ : method === 'forkserver' ? /^ForkServerPoolWorker-/ : /^SpawnPoolWorker-/);
    assert.ok(pool.workers.some((w) => w.name === name), 'the task ran in one of the pool workers');
  });

  test('map returns the results in input order, whatever the chunksize (test_map, test_map_chunksize)', async () => {
    assert.deepEqual(await pool.map(square, range(10)), squares(10));
    assert.deepEqual(await pool.map(square, range(100)), squares(100));
    for (const chunksize of [1, 3, 7, 100, 1000]) {
      assert.deepEqual(await pool.map(square, range(50), { chunksize }), squares(50), `chunksize ${chunksize}`);
    }
    assert.deepEqual(await pool.map(slowSquare, range(6), { chunksize: 1 }), squares(6), 'order kept when items finish out of order');
    assert.deepEqual(await pool.map(square, new Set([1, 2, 3])), [1, 4, 9], 'any iterable');
  });

  test('values round-trip: Map, Date, BigInt, typed arrays, nested objects', async () => {
    const values = [new Map([[1, 'a']]), new Date(0), 10n ** 20n, new Float64Array([1.5, 2.5]), { a: [1, { b: null }] }, 'text', null, undefined];
    assert.deepEqual(await pool.map(identity, values), values);
  });

  test('long lists of numbers (sent packed) keep every value exactly: int32 bounds, -0, NaN, ±Infinity, fractions', async () => {
    const ints = [...range(40), 2 ** 31 - 1, -(2 ** 31)];
    const mixed = [...range(20), -0, NaN, Infinity, -Infinity, 0.1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_VALUE, Number.MIN_VALUE];
    for (const values of [ints, mixed]) {
      const back = await pool.map(identity, values, { chunksize: values.length });
      assert.equal(back.length, values.length);
      values.forEach((v, i) => assert.ok(Object.is(back[i], v), `item ${i}: sent ${v}, got ${back[i]}`));
      assert.ok(Array.isArray(back), 'map resolves to a plain array');
    }
  });

  test('starmap and starmapAsync spread each item as arguments (test_starmap, test_starmap_async)', async () => {
    const pairs = range(10).map((i) => [i, i * 2]);
    const expected = pairs.map(([a, b]) => a + b);
    assert.deepEqual(await pool.starmap(add, pairs), expected);
    assert.deepEqual(await pool.starmap(add, pairs, { chunksize: 3 }), expected);
    assert.deepEqual(await pool.starmapAsync(add, pairs).get(), expected);
    await assert.rejects(pool.starmap(add, [[1, 2], 3]), TypeError, 'an item that is not an array of arguments');
  });

  test('mapAsync and applyAsync return AsyncResults: get, wait, ready, successful, await (test_async, test_map_async)', async () => {
    const r = pool.applyAsync(slowSquare, [4, 30]);
    assert.equal(r.ready(), false);
    assert.throws(() => r.successful(), ProcessError, 'successful() before ready throws, as CPython');
    assert.equal(await within(r.get({ timeout: 10_000 }), 15_000), 16);
    assert.equal(r.ready(), true);
    assert.equal(r.successful(), true);
    assert.equal(await r, 16, 'an AsyncResult is awaitable');
    assert.equal(await r.wait(), undefined, 'wait resolves undefined once ready');

    const m = pool.mapAsync(square, range(10), { chunksize: 2 });
    assert.deepEqual(await m.get(), squares(10));
    assert.deepEqual(await m.then((v) => v.length), 10);

    const bad = pool.applyAsync(fail, ['no']);
    await bad.wait();
    assert.equal(bad.ready(), true);
    assert.equal(bad.successful(), false);
    await assert.rejects(bad.get(), RemoteError);
  });

  test('get({ timeout }) rejects with TimeoutError and the task keeps running (test_async_timeout)', async () => {
    const r = pool.applyAsync(slowSquare, [6, 300]);
    await assert.rejects(r.get({ timeout: 10 }), (error) => {
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.code, 'ERR_MP_TIMEOUT');
      return true;
    });
    assert.equal(r.ready(), false);
    await r.wait({ timeout: 1 });
    assert.equal(await within(r.get(), 10_000), 36, 'the task finished anyway');
    await assert.rejects(r.get({ timeout: 'soon' }), TypeError);
  });

  test('callbacks receive the result or the error (test_map_async_callbacks, test_async_error_callback)', async () => {
    const calls = [];
    let done;
    const finished = new Promise((resolve) => (done = resolve));
    pool.mapAsync(square, range(4), { callback: (v) => (calls.push(['ok', v]), done()), errorCallback: (e) => (calls.push(['err', e]), done()) });
    await within(finished, 10_000, 'map callback');
    assert.deepEqual(calls, [['ok', [0, 1, 4, 9]]]);

    const errors = [];
    const failed = new Promise((resolve) => (done = resolve));
    const r = pool.applyAsync(fail, ['boom'], { callback: () => errors.push('callback'), errorCallback: (e) => (errors.push(e), done()) });
    await within(failed, 10_000, 'error callback');
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof RemoteError);
    assert.equal(errors[0].message, 'boom');
    await assert.rejects(r.get(), (e) => e === errors[0], 'get() rejects with the same error');

    const got = [];
    const starDone = new Promise((resolve) => (done = resolve));
    pool.starmapAsync(add, [[1, 1]], { callback: (v) => (got.push(v), done()) });
    await within(starDone, 10_000);
    assert.deepEqual(got, [[2]]);
  });

  test('imap and imapUnordered yield every result, with and without chunksize (test_imap, test_imap_unordered)', async () => {
    const seen = [];
    for await (const v of pool.imap(square, range(10))) seen.push(v);
    assert.deepEqual(seen, squares(10));
    const it = pool.imap(square, range(10));
    for (let i = 0; i < 10; i++) assert.deepEqual(await it.next(), { value: i * i, done: false });
    assert.deepEqual(await it.next(), { value: undefined, done: true });
    assert.deepEqual(await it.next(), { value: undefined, done: true }, 'stays done');
    const chunked = [];
    for await (const v of pool.imap(square, range(100), { chunksize: 7 })) chunked.push(v);
    assert.deepEqual(chunked, squares(100));
    const unordered = [];
    for await (const v of pool.imapUnordered(slowSquare, range(10))) unordered.push(v);
    assert.deepEqual(unordered.sort((a, b) => a - b), squares(10));
    const unorderedChunks = [];
    for await (const v of pool.imapUnordered(square, range(53), { chunksize: 5 })) unorderedChunks.push(v);
    assert.deepEqual(unorderedChunks.sort((a, b) => a - b), squares(53));
  });

  test('an empty input gives empty results everywhere (test_empty_iterable)', async () => {
    assert.deepEqual(await pool.map(square, []), []);
    assert.deepEqual(await pool.starmap(add, []), []);
    assert.deepEqual(await pool.mapAsync(square, []).get(), []);
    assert.deepEqual(await pool.starmapAsync(add, []).get(), []);
    assert.deepEqual(await pool.map(square, [], { chunksize: 5 }), []);
    for await (const v of pool.imap(square, [])) assert.fail(`imap yielded ${v}`);
    for await (const v of pool.imapUnordered(square, [])) assert.fail(`imapUnordered yielded ${v}`);
  });

  test('a task error is a RemoteError keeping name, message, code, own properties and the worker stack (test_traceback, test_wrapped_exception)', async () => {
    const workers = pool.workers.map((w) => w.name);
    await assert.rejects(pool.apply(failWithDetails, [42]), (error) => {
      assert.ok(error instanceof RemoteError);
      assert.equal(error.name, 'RangeError');
      assert.equal(error.message, 'item 42 is out of range');
      assert.equal(error.code, 'E_OUT_OF_RANGE');
      assert.equal(error.item, 42);
      assert.deepEqual(error.limits, [0, 10]);
      assert.match(error.remoteStack, /failWithDetails/, 'the stack is the one from the worker');
      assert.match(error.remoteStack, /faults\.mjs/);
      return true;
    });
    await assert.rejects(pool.apply(fail, ['why']), (error) => {
      assert.equal(error.name, 'TypeError');
      assert.equal(error.code, 'E_TASK');
      assert.deepEqual(error.detail, { why: 'asked to' });
      return true;
    });
    await assert.rejects(pool.apply(rejectAsync, [3]), (error) => {
      assert.ok(error instanceof RemoteError);
      assert.equal(error.name, 'SayWhenError', 'the custom error class name is kept');
      assert.equal(error.message, 'async failure on 3');
      assert.ok(!(error instanceof SayWhenError), 'the error crossed a process boundary: it is a RemoteError');
      return true;
    });
    await assert.rejects(pool.apply(throwString), (error) => {
      assert.ok(error instanceof RemoteError);
      assert.match(error.message, /plain string/);
      assert.equal(error.value, 'plain string');
      return true;
    });
    assert.equal(await pool.apply(square, [3]), 9);
    assert.deepEqual(pool.workers.map((w) => w.name), workers, 'task errors never end a worker');
  });

  test('map fails with the first failing item and the pool stays usable (test_map_no_failfast)', async () => {
    await assert.rejects(pool.map(failOn, range(10), { chunksize: 1 }), (error) => {
      assert.ok(error instanceof RemoteError);
      assert.equal(error.name, 'RangeError');
      assert.equal(error.message, 'bad item 3');
      return true;
    });
    await assert.rejects(pool.mapAsync(failOn, range(10), { chunksize: 4 }).get(), /bad item 3/);
    const seen = [];
    await assert.rejects(async () => {
      for await (const v of pool.imap(failOn, range(10))) seen.push(v);
    }, /bad item 3/);
    assert.deepEqual(seen, [0, 10, 20], 'imap yields the results before the failing item, then throws');
    await assert.rejects(pool.map(raiseLarge, [0, 1]), (error) => error instanceof RemoteError && error.message.length === 1024 * 1024);
    assert.deepEqual(await pool.map(square, range(5)), squares(5));
  });

  test('a result that cannot be sent back fails that task only with PicklingError (test_unpickleable_result)', async () => {
    const workers = pool.workers.map((w) => w.name);
    for (let i = 0; i < 5; i++) {
      let reported;
      await assert.rejects(pool.applyAsync(unsendableResult, [], { errorCallback: (error) => (reported = error) }).get(), (error) => {
        assert.ok(error instanceof PicklingError, `${error}`);
        assert.match(error.message, /Error sending result/);
        assert.match(error.message, /anonymous function|arrow function/);
        return true;
      });
      assert.ok(reported instanceof PicklingError, 'the error callback got it too');
    }
    assert.deepEqual(pool.workers.map((w) => w.name), workers, 'no worker was lost to encoding errors');
    const results = await Promise.allSettled([pool.apply(square, [2]), pool.apply(unsendableResult), pool.apply(square, [3])]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual([results[0].value, results[2].value], [4, 9]);
  });

  test('one unsendable result among plain ones sent back together fails alone; the others keep their tasks', async () => {
    // One worker gets all three at once, so their results leave in one batch (the first round may
    // still go out one by one while the worker warms up; later rounds are batched).
    const single = new ctx.Pool(1);
    try {
      for (let round = 0; round < 4; round++) {
        const results = await within(
          Promise.allSettled([single.apply(square, [2]), single.apply(unsendableResult), single.apply(square, [3])]),
          20_000,
          `round ${round}`,
        );
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
        assert.deepEqual([results[0].value, results[2].value], [4, 9]);
        assert.ok(results[1].reason instanceof PicklingError);
      }
    } finally {
      await within(single.terminate(), 10_000, 'terminate');
    }
  });

  test('instances of exported classes reach the worker and come back with their prototype', async () => {
    const sum = await pool.apply(total, [new Money(150), new Money(250)]);
    assert.ok(sum instanceof Money, 'the result is a Money again');
    assert.equal(sum.cents, 400);
    assert.deepEqual((await pool.starmap(total, [[new Money(1), new Money(2)], [new Money(3)]])).map((m) => m.cents), [3, 3]);
  });

  test('the pool describes itself', () => {
    assert.equal(pool.processes, 2);
    assert.equal(String(pool), '<Pool state=RUN pool_size=2>');
    assert.equal(pool.workers.length, 2);
  });
});
