// Beyond CPython (whose Pool refuses them): the library's shared objects as task arguments.
// A Queue, Lock, Value, SharedMemory block or Connection passed to a pool task arrives in the
// worker as a working handle on the same resource, on every start method.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lock, Pipe, Queue, SharedMemory, Value } from '../../dist/index.js';
import { forEachMethod, within } from '../helpers/methods.mjs';
import { addUnderLock, putSquare, sendOver, sumBytes, writeByte } from '../fixtures/pool/shared-tasks.mjs';

const range = (n) => Array.from({ length: n }, (_, i) => i);
const BOUND = 15_000;

forEachMethod((ctx) => {
  let pool;
  before(() => {
    pool = new ctx.Pool(2);
  });
  after(async () => {
    await within(pool.terminate(), 10_000, 'pool.terminate()');
  });

  test('a Queue in task args: workers put, the parent gets every item', async () => {
    const q = new Queue();
    try {
      const returned = await within(pool.starmap(putSquare, range(10).map((i) => [q, i]), { chunksize: 3 }), BOUND, 'starmap with a Queue');
      assert.deepEqual(returned, range(10));
      const got = [];
      for (let i = 0; i < 10; i++) got.push(await within(q.get(), BOUND, 'q.get()'));
      assert.deepEqual(got.sort((a, b) => a - b), range(10).map((i) => i * i));
    } finally {
      q.close();
    }
  });

  test('a Lock and a Value in task args: increments from both workers under the lock all count', async () => {
    const lock = new Lock();
    const counter = new Value('i', 0, { lock: false });
    const runs = range(4).map(() => pool.apply(addUnderLock, [lock, counter, 250]));
    assert.deepEqual(await within(Promise.all(runs), BOUND, 'locked increments'), [250, 250, 250, 250]);
    assert.equal(counter.value, 1000);
  });

  test('a SharedMemory block in task args: workers write into it and read it in place', async () => {
    const shm = new SharedMemory({ create: true, size: 64 });
    try {
      const written = await within(pool.starmap(writeByte, range(64).map((i) => [shm, i, i + 1])), BOUND, 'starmap with SharedMemory');
      assert.ok(written.every(([name, size]) => name === shm.name && size >= 64), 'the worker saw the same block');
      assert.deepEqual([...shm.buf.subarray(0, 64)], range(64).map((i) => i + 1), 'the parent sees the workers’ writes');
      const sums = await within(pool.starmap(sumBytes, [[shm, 0, 32], [shm, 32, 64]]), BOUND, 'sums in workers');
      assert.equal(sums[0] + sums[1], (64 * 65) / 2);
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test('a Connection end in task args: the worker sends, the parent receives', async () => {
    const [reader, writer] = Pipe({ duplex: false });
    try {
      assert.equal(await within(pool.apply(sendOver, [writer, { hello: 'from a worker' }]), BOUND, 'apply with a Connection'), true);
      assert.deepEqual(await within(reader.recv(), BOUND, 'recv'), { hello: 'from a worker' });
    } finally {
      reader.close();
      writer.close();
    }
  });
});
