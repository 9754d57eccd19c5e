// Instances of exported classes travel by a reference to their class (as pickle sends an
// instance): through the blocking reads of a program that imported the class itself, as errors
// thrown by tasks, with private accessors; and what cannot go is refused without spoiling the
// rest of the value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PicklingError, Pipe, Queue, RemoteError, ThreadPool } from '../../dist/index.js';
import { decode, encode } from '../../dist/serialize/codec.js';
import { Celsius, Labelled, QuotaError, Sealed, overQuota } from '../fixtures/serialize/esm/classes.mjs';
import { within } from '../helpers/methods.mjs';

test('a blocking read rebuilds an instance whose class this program imported itself', async () => {
  const queue = new Queue();
  const [a, b] = Pipe();
  try {
    queue.putSync(new Celsius(100));
    const fromQueue = queue.getSync({ timeout: 5_000 });
    assert.ok(fromQueue instanceof Celsius);
    assert.equal(fromQueue.toFahrenheit(), 212);
    a.send(new Celsius(0));
    const fromPipe = b.recvSync();
    assert.ok(fromPipe instanceof Celsius);
    assert.equal(fromPipe.toFahrenheit(), 32);
  } finally {
    queue.close();
    a.close();
    b.close();
  }
});

test('an error of an exported class arrives as itself: its class, fields and getters', async () => {
  const round = decode(encode(new QuotaError('over quota', 3)).value);
  assert.ok(round instanceof QuotaError, `arrived as ${round?.constructor?.name}`);
  assert.ok(round instanceof Error);
  assert.equal(round.quota, 3);
  assert.equal(round.summary, 'over quota (quota 3)');
  assert.match(round.stack, /QuotaError: over quota/);

  const pool = new ThreadPool(1);
  try {
    const error = await within(pool.apply(overQuota, [7]).catch((e) => e), 20_000);
    assert.ok(error instanceof RemoteError, String(error));
    assert.ok(error.cause instanceof QuotaError, `the task's error arrived as ${error.cause?.constructor?.name}`);
    assert.equal(error.cause.quota, 7);
  } finally {
    await pool.terminate();
  }
});

test('an instance with private members (fields or accessors) is refused: a copy could not have them', () => {
  assert.ok(new Labelled('hey').shout() === 'HEY');
  assert.throws(() => encode([new Sealed('s')], { kind: 'process' }, 'args'), (e) => e instanceof PicklingError && /args\[0\].*private members \(#secret\)/.test(e.message));
  assert.throws(() => encode([new Labelled('hey')], { kind: 'process' }, 'args'), (e) => e instanceof PicklingError && /private members \(#upper\)/.test(e.message));
});

test("a part of an error that cannot be sent is noted; the same object elsewhere is not sent half", () => {
  const request = { url: '/x', socket: Promise.resolve(), after: 'kept' };
  const error = Object.assign(new Error('failed'), { request });
  assert.equal(decode(encode(error).value).request, '[not sent: a Promise]');
  // Outside the error, the object is data like any other: refused whole, never sent as { url }.
  assert.throws(() => encode([error, { request }]), PicklingError);
});

test('a value refused deep inside what is sent is named by a shortened path', () => {
  let deep = { leaf: Symbol('no') };
  for (let i = 0; i < 1_000; i++) deep = { next: deep };
  let refusal;
  try {
    encode([deep], { kind: 'process' }, 'args');
  } catch (error) {
    refusal = error;
  }
  assert.ok(refusal instanceof PicklingError, String(refusal));
  assert.ok(refusal.message.length < 600, `message of ${refusal.message.length} characters`);
});
