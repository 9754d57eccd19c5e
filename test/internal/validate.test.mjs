// CPython's positional habits on blocking calls: `p.join(5)` (seconds), `lock.acquire(False)`,
// `q.get(True, 5)`. Here options are an object in milliseconds; a stray number or boolean throws
// (or rejects) a TypeError that gives the translation, instead of being ignored (an ignored
// timeout waits forever).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Barrier,
  BoundedSemaphore,
  Client,
  Listener,
  Condition,
  Event,
  JoinableQueue,
  Lock,
  Pool,
  Process,
  Queue,
  RLock,
  Semaphore,
  SimpleQueue,
} from '../../dist/index.js';
import { checkCallOptions, checkPositiveInteger, validateDuration } from '../../dist/internal/validate.js';
import { cleanup, needsAddon, within } from '../helpers/methods.mjs';
import { waitForever } from '../fixtures/process/tasks.mjs';
import { square } from '../fixtures/pool/tasks.mjs';

/** Asserts a TypeError whose message contains every one of `says`, thrown or as a rejection, at once. */
async function refused(call, ...says) {
  let error;
  try {
    await within(Promise.resolve().then(call), 2_000, 'a call with a positional argument');
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof TypeError, `expected a TypeError, got ${error?.stack ?? error}`);
  for (const part of says) assert.ok(error.message.includes(part), `expected '${part}' in: ${error.message}`);
}

describe('Process', () => {
  const started = [];
  after(() => cleanup(started));

  test('join(5) of a running child rejects at once, saying { timeout: 5000 } in milliseconds', async () => {
    const p = new Process({ target: waitForever });
    started.push(p);
    p.start();
    await refused(() => p.join(5), 'Process.join()', '{ timeout: 5000 }', 'milliseconds');
    await refused(() => p.join(0.1), '{ timeout: 100 }');
    await refused(() => p.joinSync(2.5), 'Process.joinSync()', '{ timeout: 2500 }');
    assert.equal(p.isAlive(), true, 'nothing was done to the child');
    // null and undefined still mean "no options", as CPython's join(None).
    p.kill();
    await within(p.join(null), 20_000, 'join(null)');
    assert.equal(p.exitCode, -9);
  });
});

describe('locks and semaphores: acquire(False), acquire(True, 5)', () => {
  for (const make of [() => new Lock(), () => new RLock(), () => new Semaphore(0), () => new BoundedSemaphore(1), () => new Condition()]) {
    const name = make().constructor.name;
    test(name, async () => {
      const lock = make();
      await refused(() => lock.acquire(false), `${name}.acquire()`, '{ block: false }');
      await refused(() => lock.acquire(true, 5), '{ block: true }', '{ timeout: 5000 }');
      await refused(() => lock.acquire(5), '{ timeout: 5000 }');
      await refused(() => lock.acquireSync(false), `${name}.acquireSync()`, '{ block: false }');
      await refused(() => lock.acquireSync(0.5), '{ timeout: 500 }');
    });
  }
});

test('Event, Condition and Barrier waits: wait(5)', async () => {
  const event = new Event();
  await refused(() => event.wait(5), 'Event.wait()', '{ timeout: 5000 }');
  await refused(() => event.waitSync(1), 'Event.waitSync()', '{ timeout: 1000 }');
  const cond = new Condition();
  cond.acquireSync();
  try {
    await refused(() => cond.wait(1), 'Condition.wait()', '{ timeout: 1000 }');
    await refused(() => cond.waitSync(1), '{ timeout: 1000 }');
    await refused(() => cond.waitFor(() => false, 1), 'Condition.waitFor()', '{ timeout: 1000 }');
  } finally {
    cond.release();
  }
  const barrier = new Barrier(2);
  await refused(() => barrier.wait(3), 'Barrier.wait()', '{ timeout: 3000 }');
  await refused(() => barrier.waitSync(3), '{ timeout: 3000 }');
  assert.equal(barrier.nWaiting, 0, 'nobody entered the barrier');
  await refused(() => new Barrier(2, square), 'new Barrier(parties, { action })');
});

test('queues: get(True, 5), get(False), put(obj, True, 5), join(5)', async () => {
  const q = new Queue();
  const jq = new JoinableQueue();
  const sq = new SimpleQueue();
  try {
    await refused(() => q.get(true, 5), 'Queue.get()', '{ block: true }', '{ timeout: 5000 }');
    await refused(() => q.get(false), '{ block: false }');
    await refused(() => q.getSync(false), 'Queue.getSync()', '{ block: false }');
    await refused(() => q.put('x', true, 5), "CPython's put(obj, True)", '{ timeout: 5000 }');
    await refused(() => q.putSync('x', 1), '{ timeout: 1000 }');
    assert.equal(q.qsize(), 0, 'nothing was put');
    await refused(() => jq.join(5), 'JoinableQueue.join()', '{ timeout: 5000 }');
    await refused(() => jq.joinSync(5), '{ timeout: 5000 }');
    // CPython's SimpleQueue.get() has no timeout: the message says where one is.
    await refused(() => sq.get(5), 'SimpleQueue.get()', 'use a Queue');
  } finally {
    for (const each of [q, jq, sq]) each.close();
  }
});

describe('Pool', () => {
  const pool = new Pool(1);
  after(() => pool.terminate());

  test('map(f, items, 4) and imap(f, items, 4): chunksize is { chunksize: 4 }', async () => {
    await refused(() => pool.map(square, [1, 2], 4), 'Pool.map()', '{ chunksize: 4 }');
    await refused(() => pool.starmap(square, [[1]], 4), 'Pool.starmap()', '{ chunksize: 4 }');
    await refused(() => pool.imap(square, [1], 4), 'Pool.imap()', '{ chunksize: 4 }');
    await refused(() => pool.applyAsync(square, [1], () => {}), '{ callback, errorCallback }');
  });

  test('AsyncResult.get(5) and wait(5)', async () => {
    const result = pool.applyAsync(square, [3]);
    await refused(() => result.get(5), 'AsyncResult.get()', '{ timeout: 5000 }');
    await refused(() => result.wait(5), 'AsyncResult.wait()', '{ timeout: 5000 }');
    assert.equal(await within(result.get({ timeout: 20_000 }), 30_000, 'the result'), 9);
  });

  test('join(5) rejects: CPython has no timeout there either', async () => {
    const other = new Pool(1);
    other.close();
    await refused(() => other.join(5), 'Pool.join() takes no arguments');
    await within(other.join(), 20_000, 'join of a closed pool');
  });
});

// Calls that have no timeout refuse one given as an option, rather than ignoring it and waiting
// forever; the message says what bounds the wait there.
test('a timeout where the call has none: SimpleQueue.get, Listener.accept, Client', needsAddon, async () => {
  const sq = new SimpleQueue();
  const listener = new Listener(['127.0.0.1', 0]);
  try {
    await refused(() => sq.get({ timeout: 10 }), 'SimpleQueue.get() takes no timeout', 'use a Queue', 'AbortSignal.timeout(ms)');
    await refused(() => listener.accept({ timeout: 100 }), 'Listener.accept() takes no timeout', 'AbortSignal.timeout(ms)');
    await refused(() => Client(listener.address, { timeout: 100 }), 'Client() takes no timeout', 'handshakeTimeout');
    // What they do take still works.
    const controller = new AbortController();
    const taking = sq.get({ signal: controller.signal });
    controller.abort();
    await assert.rejects(within(taking, 2_000), (e) => e.name === 'AbortError');
  } finally {
    sq.close();
    await listener.close();
  }
});

describe('shared checks of configured values', () => {
  test('validateDuration: no bound for undefined, null and Infinity; a negative is a RangeError, a non-number a TypeError', () => {
    for (const none of [undefined, null, Infinity]) assert.equal(validateDuration(none, 'handshakeTimeout'), null);
    assert.equal(validateDuration(0, 'handshakeTimeout'), 0);
    assert.equal(validateDuration(1500, 'handshakeTimeout'), 1500);
    assert.throws(() => validateDuration(-1, 'handshakeTimeout'), { name: 'RangeError', message: 'handshakeTimeout must not be negative' });
    for (const wrong of ['5', NaN, {}]) {
      assert.throws(() => validateDuration(wrong, 'handshakeTimeout'), { name: 'TypeError', message: 'handshakeTimeout must be a number of milliseconds' });
    }
  });

  test('checkPositiveInteger: integers from 1 up', () => {
    assert.equal(checkPositiveInteger(1, 'chunksize'), 1);
    assert.throws(() => checkPositiveInteger(0, 'chunksize'), { name: 'RangeError', message: 'chunksize must be at least 1' });
    assert.throws(() => checkPositiveInteger(1.5, 'chunksize'), { name: 'TypeError', message: 'chunksize must be an integer' });
    assert.throws(() => checkPositiveInteger('2', 'chunksize'), TypeError);
  });

  test('checkCallOptions: an object or nothing; a positional number or function gets its translation; the signal is checked', () => {
    const hints = { number: (n) => `pass { size: ${n} }`, function: 'pass { callback }' };
    assert.deepEqual(checkCallOptions(undefined, 'f()', hints), {});
    const options = { signal: AbortSignal.abort() };
    assert.equal(checkCallOptions(options, 'f()', hints), options);
    assert.throws(() => checkCallOptions(4, 'f()', hints), { message: 'f() takes an options object, not a number: pass { size: 4 }' });
    assert.throws(() => checkCallOptions(() => {}, 'f()', hints), { message: 'f() takes an options object, not a function: pass { callback }' });
    assert.throws(() => checkCallOptions(4, 'f()'), { message: 'f() options must be an object' });
    assert.throws(() => checkCallOptions(null, 'f()', hints), { message: 'f() options must be an object' });
    assert.throws(() => checkCallOptions({ signal: 'no' }, 'f()'), { message: 'signal must be an AbortSignal' });
  });

  test('Client and Listener check handshakeTimeout alike', needsAddon, async () => {
    assert.throws(() => new Listener(undefined, { handshakeTimeout: -1 }), { name: 'RangeError', message: 'handshakeTimeout must not be negative' });
    await assert.rejects(Client('/nowhere', { handshakeTimeout: -1 }), { name: 'RangeError', message: 'handshakeTimeout must not be negative' });
    await assert.rejects(Client('/nowhere', { handshakeTimeout: '5' }), { name: 'TypeError', message: 'handshakeTimeout must be a number of milliseconds' });
  });
});
