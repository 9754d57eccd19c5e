// Beyond CPython (whose Pool refuses them): the library's shared objects as task arguments.
// A Queue, Lock, Value, SharedMemory block or Connection passed to a pool task arrives in the
// worker as a working handle on the same resource, on every start method.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EOFError, Lock, Pipe, Queue, RawArray, RemoteError, SharedMemory, Value } from '../../dist/index.js';
import { portPipe } from '../../dist/connection/pipe.js';
import { forEachMethod, within } from '../helpers/methods.mjs';
import { addUnderLock, pipeBack, putSquare, sendOver, sumBytes, writeByte, writeInto } from '../fixtures/pool/shared-tasks.mjs';

const range = (n) => Array.from({ length: n }, (_, i) => i);
const BOUND = 15_000;

forEachMethod((ctx, method) => {
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

  if (method === 'thread') {
    // The Pipe between threads (what Pipe() is without the addon): its ends move with the message.
    test('a Pipe end between threads goes to a worker in task args, and another comes back as a result', async () => {
      const [reader, writer] = portPipe(false);
      try {
        assert.equal(await within(pool.apply(sendOver, [writer, 'through a moved end']), BOUND, 'apply with a port end'), true);
        assert.equal(await within(reader.recv(), BOUND, 'recv'), 'through a moved end');
        assert.equal(writer.closed, true, 'the end moved to the worker is closed here');
      } finally {
        reader.close();
      }
      const returned = await within(pool.apply(pipeBack, ['made in a worker']), BOUND, 'apply returning a port end');
      try {
        assert.equal(await within(returned.recv(), BOUND, 'recv on the returned end'), 'made in a worker');
        await assert.rejects(within(returned.recv(), BOUND, 'end of file'), EOFError);
      } finally {
        returned.close();
      }
    });
  }

  test('a RawArray and its subarray in task args are the same memory, not a copy: the parent sees the worker’s writes', async () => {
    const ints = RawArray('i', 8);
    ints.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const doubles = RawArray('d', 6);
    const seen = await within(pool.apply(writeInto, [ints, 2, [-20, -30]]), BOUND, 'apply with a RawArray');
    assert.deepEqual(seen, { before: [3, 4], length: 8, type: 'Int32Array' }, 'the worker read the parent’s values');
    assert.deepEqual([...ints], [1, 2, -20, -30, 5, 6, 7, 8], 'the write landed in the parent’s array');
    const tail = ints.subarray(5);
    assert.deepEqual(await within(pool.apply(writeInto, [tail, 0, [50, 60, 70]]), BOUND, 'apply with a subarray'), { before: [6, 7, 8], length: 3, type: 'Int32Array' });
    assert.deepEqual([...ints], [1, 2, -20, -30, 5, 50, 60, 70], 'a view travels as a view on the same memory, at its offset');
    await within(pool.starmap(writeInto, range(6).map((i) => [doubles, i, [i + 0.5]]), { chunksize: 1 }), BOUND, 'starmap over a RawArray');
    assert.deepEqual([...doubles], range(6).map((i) => i + 0.5), 'writes from both workers all landed');
  });

  test('typed views on a SharedMemory block’s buf in task args: the worker writes in place', async () => {
    const shm = new SharedMemory({ create: true, size: 64 });
    try {
      const bytes = shm.buf;
      bytes[10] = 7;
      assert.deepEqual(await within(pool.apply(writeInto, [bytes, 10, [200, 201]]), BOUND, 'apply with shm.buf'), { before: [7, 0], length: 64, type: 'Uint8Array' });
      assert.deepEqual([...shm.buf.subarray(10, 12)], [200, 201]);
      const words = new Int32Array(shm.buf.buffer, shm.buf.byteOffset + 16, 4);
      const seen = await within(pool.apply(writeInto, [words, 1, [123456, -7]]), BOUND, 'apply with an Int32Array over shm.buf');
      assert.deepEqual(seen, { before: [0, 0], length: 4, type: 'Int32Array' });
      assert.deepEqual([...words], [0, 123456, -7, 0], 'the parent sees the worker’s writes through its own view');
      assert.deepEqual([...new Int32Array(shm.buf.buffer, shm.buf.byteOffset, 16)].slice(4, 8), [0, 123456, -7, 0], 'at the view’s offset in the block');
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  if (method !== 'thread') {
    test('a view over a SharedMemory block unlinked before a worker process attaches fails that call with a clear error', async () => {
      const shm = new SharedMemory({ create: true, size: 64 });
      const bytes = shm.buf;
      shm.unlink(); // this process keeps its mapping; the name is gone for everyone else
      try {
        await assert.rejects(within(pool.apply(writeInto, [bytes, 0, [1]]), BOUND, 'apply with a view on an unlinked block'), (error) => {
          assert.ok(error instanceof RemoteError, `${error}`);
          assert.match(error.message, new RegExp(`Uint8Array over SharedMemory '${shm.name}' arrived, but the block cannot be attached here`));
          return true;
        });
        assert.equal(bytes[0], 0, 'nothing was written');
        assert.deepEqual(await within(pool.apply(writeInto, [new Uint8Array(2), 0, [1]]), BOUND, 'the next call'), { before: [0], length: 2, type: 'Uint8Array' });
      } finally {
        shm.close();
      }
    });
  }
});
