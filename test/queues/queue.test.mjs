// Queue, SimpleQueue and JoinableQueue: CPython's _TestQueue (test_put, test_get, test_fork,
// test_qsize, test_task_done, test_timeout, test_closed_queue, and test_queue_feeder_donot_stop_onexc
// as: a put of an unsendable value throws at the call site), then many producers and consumers in
// other processes and threads on every start method: every item delivered exactly once (count and
// sum), order kept per producer, items larger than the ring, maxsize never exceeded by racing
// producers, a consumer killed while it waits and a producer killed in the middle of a put.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AbortError,
  Event,
  JoinableQueue,
  PicklingError,
  ProcessError,
  Queue,
  QueueEmptyError,
  QueueFullError,
  SimpleQueue,
  getContext,
  wait,
} from '../../dist/index.js';
import { RING_BYTES } from '../../dist/queues/channel.js';
import { forEachMethod, needsAddon, within, PROCESS_METHODS, processStarter } from '../helpers/methods.mjs';
import { bigItemsBothWays, bigItemsInOneProcess } from './big-items.mjs';
import {
  closeAndPut,
  consume,
  matches,
  pattern,
  produce,
  putBigDyingMidPut,
  putBigLast,
  putFromUnloadedModule,
  putSizes,
  putUnsendable,
  takeOne,
  waitInGet,
  worker,
} from '../fixtures/queues/workers.mjs';

const { start } = processStarter();

const join = async (p, ms = 20_000) => {
  await within(p.join(), ms, `join of ${p.name}`);
  assert.equal(p.exitCode, 0, `${p.name} exited with ${p.exitCode}`);
};


test('put and get, blocking and not, with qsize/empty/full as CPython test_put and test_get', async () => {
  const q = new Queue(6);
  assert.equal(q.empty(), true);
  assert.equal(q.full(), false);
  await q.put(1);
  await q.put(2, { block: true });
  await q.put(3, { block: true, timeout: null });
  await q.put(4, { block: false });
  q.putSync(5, { timeout: 1000 });
  q.putNowait(6);
  assert.equal(q.qsize(), 6);
  assert.equal(q.empty(), false);
  assert.equal(q.full(), true);
  await assert.rejects(q.put(7, { block: false }), QueueFullError);
  await assert.rejects(q.put(7, { timeout: 10 }), QueueFullError);
  assert.throws(() => q.putSync(7, { timeout: 10 }), QueueFullError);
  assert.throws(() => q.putNowait(7), QueueFullError);
  assert.equal(q.qsize(), 6, 'refused puts enqueued nothing');
  assert.equal(await q.get(), 1);
  assert.equal(await q.get({ block: true }), 2);
  assert.equal(await q.get({ block: false }), 3);
  assert.equal(q.getSync({ timeout: 1000 }), 4);
  assert.equal(q.getNowait(), 5);
  assert.equal(q.getSync(), 6);
  assert.equal(q.qsize(), 0);
  assert.equal(q.empty(), true);
  await assert.rejects(q.get({ block: false }), QueueEmptyError);
  await assert.rejects(q.get({ timeout: 10 }), QueueEmptyError);
  assert.throws(() => q.getSync({ timeout: 10 }), QueueEmptyError);
  assert.throws(() => q.getNowait(), QueueEmptyError);
  assert.equal(String(q), '<Queue(maxsize=6, qsize=0)>');
});

test('items keep their structure; bad maxsize and options are refused', async () => {
  const q = new Queue();
  const item = { n: 1n, d: new Date(0), m: new Map([[1, 'a']]), s: new Set([2]), e: new RangeError('x'), bytes: new Uint8Array([1, 2]) };
  await q.put(item);
  const got = await q.get();
  assert.deepEqual(got, item);
  assert.ok(got.e instanceof RangeError);
  await q.put(undefined);
  assert.equal(await q.get(), undefined);
  assert.throws(() => new Queue(1.5), TypeError);
  assert.throws(() => new Queue('3'), TypeError);
  assert.throws(() => new Queue(2 ** 31), RangeError);
  assert.equal(new Queue(-1).full(), false, 'maxsize <= 0 is unbounded');
  await assert.rejects(q.put(1, { timeout: 'soon' }), TypeError);
  await assert.rejects(q.get({ block: 1 }), TypeError);
});

test('a put of a value that cannot be sent throws at the call site and enqueues nothing', async () => {
  const q = new Queue(1);
  await assert.rejects(q.put({ f: () => 1 }), PicklingError);
  assert.throws(() => q.putSync(Symbol('s')), PicklingError);
  await assert.rejects(q.put(new SharedArrayBuffer(8)), PicklingError);
  await assert.rejects(q.put(Promise.resolve(1)), PicklingError);
  assert.equal(q.qsize(), 0);
  assert.equal(q.full(), false, 'no slot was taken');
  await q.put('ok');
  assert.equal(await q.get(), 'ok');
});

test('a closed queue refuses put and get from this process; joinThread only after close', async () => {
  const q = new Queue();
  await q.put(1);
  await assert.rejects(q.joinThread(), ProcessError);
  q.close();
  q.close();
  await assert.rejects(q.put(2), (e) => e instanceof ProcessError && /^Queue <Queue.*> is closed$/.test(e.message));
  assert.throws(() => q.putNowait(2), /is closed/);
  await assert.rejects(q.get(), /is closed/);
  await q.joinThread();
  assert.equal(q.cancelJoinThread(), undefined);
});

test('an aborted get takes nothing: the item stays for the next getter', async () => {
  const q = new Queue();
  const controller = new AbortController();
  const aborted = q.get({ signal: controller.signal });
  const waiting = q.get();
  controller.abort();
  await assert.rejects(aborted, AbortError);
  await q.put('item');
  assert.equal(await within(waiting, 5000, 'get'), 'item');
  await assert.rejects(q.get({ signal: AbortSignal.abort() }), AbortError);
  const full = new Queue(1);
  await full.put(1);
  const put = full.put(2, { signal: AbortSignal.timeout(20) });
  await assert.rejects(put, (e) => e.name === 'AbortError');
  assert.equal(full.qsize(), 1);
  assert.equal(await full.get(), 1);
  assert.equal(full.empty(), true);
});

test('items larger than the ring within one process arrive in order; later puts do not wait for them', async () => {
  await bigItemsInOneProcess(new Queue());
  const sync = new Queue();
  sync.putSync('first');
  assert.equal(sync.getSync(), 'first');
});

test('an unbounded queue never makes put wait, even with a full ring', async () => {
  const q = new Queue();
  const size = Math.ceil(RING_BYTES / 6);
  const chunk = new Uint8Array(size);
  for (let i = 0; i < 8; i++) await q.put(chunk, { timeout: 0 });
  q.putNowait('last');
  assert.equal(q.qsize(), 9);
  for (let i = 0; i < 8; i++) assert.equal((await q.get()).length, size);
  assert.equal(await q.get(), 'last');
});

test('JoinableQueue: taskDone counts down to join, too many throws (CPython test_task_done)', async () => {
  const q = new JoinableQueue();
  await q.join();
  q.joinSync();
  await q.put(1);
  await q.put(2);
  let joined = false;
  const joining = q.join().then(() => (joined = true));
  await q.get();
  q.taskDone();
  await q.get();
  assert.equal(joined, false);
  q.taskDone();
  await within(joining, 5000, 'join');
  assert.throws(() => q.taskDone(), (e) => e instanceof ProcessError && e.message === 'task_done() called too many times');
  assert.ok(q instanceof Queue);
});

test('SimpleQueue: put, get, empty, close', async () => {
  const q = new SimpleQueue();
  assert.equal(q.empty(), true);
  await q.put('a');
  q.putSync('b');
  assert.equal(q.empty(), false);
  assert.equal(await q.get(), 'a');
  assert.equal(q.getSync(), 'b');
  await assert.rejects(q.get({ signal: AbortSignal.abort() }), AbortError);
  q.close();
  await assert.rejects(q.put('c'), /is closed/);
  assert.equal(typeof q.qsize, 'undefined');
});

test('wait() reports a queue once an item is there to take', async () => {
  const a = new Queue();
  const b = new SimpleQueue();
  assert.deepEqual(await wait([a, b], 20), []);
  assert.equal(a.isReady(), false);
  const waiting = wait([a, b]);
  await b.put('x');
  assert.deepEqual(await within(waiting, 5000, 'wait'), [b]);
  assert.equal(await b.get(), 'x');
  assert.deepEqual(await wait([a, b], 0), []);
});

test('contexts offer the queue classes', () => {
  const ctx = getContext('spawn');
  assert.equal(ctx.Queue, Queue);
  assert.equal(ctx.SimpleQueue, SimpleQueue);
  assert.equal(ctx.JoinableQueue, JoinableQueue);
});

forEachMethod((ctx, method) => {
  test(`${method}: many producers and consumers, each item delivered exactly once, order kept per producer`, async () => {
    const q = new ctx.Queue(50);
    const out = new ctx.SimpleQueue();
    const producers = 3;
    const n = 300;
    const consumers = [start(ctx, consume, [q, out, 'async']), start(ctx, consume, [q, out, 'sync'])];
    const makers = [];
    for (let id = 0; id < producers; id++) makers.push(start(ctx, produce, [q, id, n, id === 1 ? 'sync' : 'async']));
    for (const p of makers) await join(p);
    await q.put(null);
    await q.put(null);
    const reports = [await within(out.get(), 20_000, 'report'), await within(out.get(), 20_000, 'report')];
    for (const p of consumers) await join(p);
    const keys = reports.flatMap((r) => r.keys).sort((a, b) => a - b);
    const expected = [];
    for (let id = 0; id < producers; id++) for (let i = 0; i < n; i++) expected.push(id * 1e6 + i);
    assert.equal(reports[0].count + reports[1].count, producers * n);
    assert.equal(reports[0].sum + reports[1].sum, expected.reduce((a, b) => a + b, 0));
    assert.deepEqual(keys, expected);
    assert.ok(reports.every((r) => r.ordered), 'each consumer saw each producer in order');
    assert.equal(q.empty(), true);
  });

  test(`${method}: an item larger than the ring, in both directions`, async () => {
    await bigItemsBothWays(ctx, { start, join });
  });

  test(`${method}: join() of a child before get() of the item it put last (gh-73983), small and 1 MiB`, async () => {
    // CPython's child stays alive until its feeder thread has written the item into the pipe, so
    // joining it before draining the queue deadlocks once the item passes the pipe buffer (64 KiB).
    // Here an item that fits in the ring is in shared memory when put() resolves: the child ends.
    for (const [size, seed] of [[16, 7], [1024 * 1024, 8]]) {
      assert.ok(size < RING_BYTES);
      const q = new ctx.Queue();
      await join(start(ctx, putBigLast, [q, size, seed]));
      assert.equal(q.qsize(), 1);
      const item = await within(q.get(), 20_000, `get of the ${size}-byte item`);
      assert.ok(matches(item, size, seed), `the ${size}-byte item arrived intact`);
      assert.equal(q.empty(), true);
    }
  });

  // Without the addon there are no blocks to put large items in: they wait in the child's outbox.
  test(`${method}: join() of a child before get() works past the ring too: large items it cannot write wait in shared memory, not in the child`, needsAddon, async () => {
    const MiB = 1024 * 1024;
    const sizes = [RING_BYTES * 2 + 3, ...Array(10).fill(MiB), 100 * 1024, 16, MiB];
    for (const sync of [false, true]) {
      const q = new ctx.Queue();
      const child = start(ctx, putSizes, [q, sizes, 11, sync]);
      await join(child);
      // Blocks are named after the process that made them: only the child's are counted.
      const pid = method === 'thread' ? process.pid : child.pid;
      const blocks = () => readdirSync('/dev/shm').filter((name) => name.startsWith(`mpq_${pid}_`));
      assert.equal(q.qsize(), sizes.length + 1);
      assert.ok(blocks().length > 0, 'some items wait in blocks of their own');
      for (const [i, size] of sizes.entries()) {
        const item = await within(q.get(), 20_000, `get of item ${i}`);
        const bytes = i % 2 === 0 ? item : item.bytes;
        if (i % 2 === 1) assert.equal(item.i, i);
        assert.ok(matches(bytes, size, 11 + i), `item ${i} (${size} bytes${sync ? ', putSync' : ''}) arrived intact and in order`);
        assert.equal(bytes.constructor, Uint8Array);
      }
      assert.equal(await within(q.get(), 20_000, 'get of the last item'), 'end');
      assert.equal(q.empty(), true);
      assert.deepEqual(blocks(), [], 'every block was freed by the get that took its item');
    }
  });

  test(`${method}: JoinableQueue join waits for every taskDone of the workers`, async () => {
    const jq = new ctx.JoinableQueue();
    const out = new ctx.Queue();
    const workers = [start(ctx, worker, [jq, out]), start(ctx, worker, [jq, out])];
    for (let i = 1; i <= 40; i++) await jq.put(i);
    await within(jq.join(), 20_000, 'join');
    await jq.put(null);
    await jq.put(null);
    const totals = [await out.get({ timeout: 20_000 }), await out.get({ timeout: 20_000 })];
    assert.equal(totals[0] + totals[1], (40 * 41) / 2);
    await within(jq.join(), 20_000, 'join');
    for (const p of workers) await join(p);
  });

  test(`${method}: put of an unsendable value throws in the child; close() there refuses its puts`, async () => {
    const q = new ctx.Queue();
    const out = new ctx.Queue();
    await join(start(ctx, putUnsendable, [q, out]));
    assert.match(await out.get({ timeout: 5000 }), /symbol/);
    assert.equal(await q.get({ timeout: 5000 }), 'still working');
    await join(start(ctx, closeAndPut, [q, out]));
    assert.match(await out.get({ timeout: 5000 }), /is closed/);
    await q.put('parent still puts');
    assert.equal(await q.get(), 'parent still puts');
  });
});

forEachMethod((ctx, method) => {
  test(`${method}: with producers in put() and putSync() racing a consumer, qsize never exceeds maxsize; order kept per producer`, async () => {
    const maxsize = 4;
    const n = 200;
    const q = new ctx.Queue(maxsize);
    const makers = [start(ctx, produce, [q, 0, n, 'async']), start(ctx, produce, [q, 1, n, 'sync'])];
    let largest = 0;
    const next = [0, 0];
    for (let taken = 0; taken < 2 * n; taken++) {
      largest = Math.max(largest, q.qsize());
      const [producer, i] = await within(q.get(), 20_000, 'get');
      assert.equal(i, next[producer]++, `producer ${producer} in order`);
    }
    assert.ok(largest <= maxsize, `qsize reached ${largest}`);
    for (const p of makers) await join(p);
    for (let i = 0; i < maxsize; i++) q.putNowait(i);
    assert.equal(q.qsize(), maxsize);
    await assert.rejects(q.put('one too many', { block: false }), QueueFullError);
    assert.throws(() => q.putSync('one too many', { timeout: 50 }), QueueFullError);
  });

  test(`${method}: a producer killed in the middle of putting a large item (kept in shared memory) does not stop the queue`, needsAddon, async () => {
    const q = new ctx.Queue();
    const producer = start(ctx, putBigDyingMidPut, [q, RING_BYTES + 1]);
    await within(producer.join(), 20_000, 'join of the killed producer');
    assert.equal(producer.exitCode, -9);
    const blocks = readdirSync('/dev/shm').filter((name) => name.startsWith(`mpq_${producer.pid}_`));
    assert.equal(blocks.length, 1, 'it died with its block made');
    // The block is the resource tracker's to remove when the program ends; this test's, now.
    for (const name of blocks) rmSync(`/dev/shm/${name}`);
    await assert.rejects(within(q.get({ timeout: 300 }), 10_000, 'get({ timeout: 300 })'), QueueEmptyError);
    await q.put('still usable');
    assert.equal(await q.get({ timeout: 5000 }), 'still usable');
  });

  test(`${method}: a consumer killed while it waits in get() does not stop the others`, async () => {
    const q = new ctx.Queue();
    const out = new ctx.Queue();
    const waiting = new Event();
    const victim = start(ctx, waitInGet, [q, waiting]);
    assert.equal(await waiting.wait({ timeout: 20_000 }), true);
    victim.kill('SIGKILL');
    await within(victim.join(), 10_000, 'join of the killed consumer');
    const taker = start(ctx, takeOne, [q, out]);
    await q.put('for the survivor');
    assert.deepEqual(await within(wait([out], 20_000), 20_000, 'wait'), [out]);
    assert.equal(await out.get({ timeout: 20_000 }), 'for the survivor');
    await join(taker);
    await q.put('for the parent');
    assert.equal(q.getSync({ timeout: 5000 }), 'for the parent');
  });
}, PROCESS_METHODS);

// The modules are fresh copies per start method, so each run meets them unloaded in this process.
// They are copied inside the program's folder: a received item may name only modules under it.
forEachMethod((ctx, method) => {
  test(`${method}: getSync loads a module it has not seen when it can; one with top-level await leaves the item for get()`, async () => {
    const scratch = fileURLToPath(new URL('../fixtures/queues/.test-tmp/', import.meta.url));
    mkdirSync(scratch, { recursive: true });
    const dir = mkdtempSync(joinPath(scratch, 'modules-'));
    try {
      const copy = (name) => {
        const file = joinPath(dir, name);
        copyFileSync(new URL(`../fixtures/queues/${name}`, import.meta.url), file);
        return pathToFileURL(file).href;
      };
      const late = copy('late-module.mjs');
      const awaiting = copy('awaiting-module.mjs');
      const q = new ctx.Queue();
      await join(start(ctx, putFromUnloadedModule, [q, late, 'late']));
      const loadedAtOnce = q.getSync({ timeout: 5000 });
      assert.equal(loadedAtOnce.fn('now'), 'late now');
      assert.equal(loadedAtOnce.fn, (await import(late)).late, 'the same module instance an import gives');

      await join(start(ctx, putFromUnloadedModule, [q, awaiting, 'awaited']));
      assert.throws(() => q.getSync({ timeout: 5000 }), (e) => e instanceof PicklingError && e.message.includes('awaiting-module.mjs'));
      assert.equal(q.empty(), false, 'the item is kept');
      const got = await within(q.get(), 20_000, 'get');
      assert.equal(got.fn, (await import(awaiting)).awaited);
      assert.equal(q.empty(), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('a function of a module imported with a query string comes back as that very function', async () => {
  const url = new URL('../fixtures/queues/late-module.mjs?instance=queue-test', import.meta.url).href;
  const { late } = await import(url);
  const q = new Queue();
  await q.put({ fn: late });
  assert.equal((await within(q.get(), 5000, 'get')).fn, late);
});
