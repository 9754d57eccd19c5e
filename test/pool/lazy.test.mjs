// imap/imapUnordered read their input lazily with bounded look-ahead: infinite generators work,
// breaking out of `for await` stops reading the input (and closes it), async iterables are
// accepted everywhere. Beyond CPython: an AbortSignal on every call (AbortError, queued chunks
// dropped, the pool unaffected) and onProgress (done/total) for long calls.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AbortError, Value } from '../../dist/index.js';
import { forEachMethod, within, PROCESS_METHODS } from '../helpers/methods.mjs';
import { add, identity, slowSquare, square } from '../fixtures/pool/tasks.mjs';
import { countAndWait } from '../fixtures/pool/faults.mjs';

const range = (n) => Array.from({ length: n }, (_, i) => i);
const squares = (n) => range(n).map((i) => i * i);

/** An infinite generator that counts how many items were pulled and whether it was closed. */
function counted(asyncInput = false) {
  const state = { pulled: 0, closed: false };
  function* sync() {
    try {
      for (let i = 0; ; i++) {
        state.pulled++;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  async function* asyncGen() {
    try {
      for (let i = 0; ; i++) {
        state.pulled++;
        await null;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return [state, asyncInput ? asyncGen() : sync()];
}

async function* asyncRange(n) {
  for (let i = 0; i < n; i++) {
    await null;
    yield i;
  }
}

forEachMethod((ctx) => {
  let pool;
  before(() => {
    pool = new ctx.Pool(2);
  });
  after(async () => {
    await within(pool.terminate(), 10_000, 'pool.terminate()');
  });

  for (const [kind, asyncInput] of [
    ['an infinite generator', false],
    ['an infinite async generator', true],
  ]) {
    for (const method of ['imap', 'imapUnordered']) {
      test(`${method} over ${kind} reads ahead boundedly and stops pulling when the consumer breaks`, async () => {
        const [state, input] = counted(asyncInput);
        const bufferSize = 3;
        const chunksize = 2;
        const got = [];
        for await (const v of pool[method](square, input, { bufferSize, chunksize })) {
          got.push(v);
          if (got.length === 1) {
            await pool.apply(square, [0]); // let the reader run ahead as far as it may
            assert.ok(state.pulled <= 1 + (bufferSize + 1) * chunksize, `pulled ${state.pulled} items before the consumer took more than one`);
          }
          if (got.length === 25) break;
        }
        if (method === 'imap') assert.deepEqual(got, squares(25));
        else assert.equal(new Set(got).size, 25);
        // An async generator closes once the read it is in finishes; one round trip is plenty.
        if (asyncInput) assert.deepEqual(await pool.map(square, range(4)), squares(4));
        assert.equal(state.closed, true, 'breaking out closes the input');
        const pulled = state.pulled;
        assert.ok(pulled <= 25 + (bufferSize + 1) * chunksize, `pulled ${pulled} items for 25 results`);
        assert.deepEqual(await pool.map(square, range(4)), squares(4));
        assert.equal(state.pulled, pulled, 'nothing more is read after the break');
      });
    }
  }

  test('async iterables are accepted by map, starmap and imap', async () => {
    assert.deepEqual(await pool.map(square, asyncRange(12)), squares(12));
    assert.deepEqual(await pool.map(square, asyncRange(12), { chunksize: 5 }), squares(12));
    async function* pairs() {
      for (let i = 0; i < 5; i++) yield [i, 1];
    }
    assert.deepEqual(await pool.starmap(add, pairs()), [1, 2, 3, 4, 5]);
    const got = [];
    for await (const v of pool.imap(square, asyncRange(30), { chunksize: 4 })) got.push(v);
    assert.deepEqual(got, squares(30));
    const unordered = [];
    for await (const v of pool.imapUnordered(slowSquare, asyncRange(8))) unordered.push(v);
    assert.deepEqual(unordered.sort((a, b) => a - b), squares(8));
  });

  test('a long finite input through imap with a small buffer gives every result in order', async () => {
    let pulled = 0;
    function* input() {
      for (let i = 0; i < 3000; i++) {
        pulled++;
        yield i;
      }
    }
    let count = 0;
    let sum = 0;
    for await (const v of pool.imap(identity, input(), { bufferSize: 2, chunksize: 50 })) {
      assert.equal(v, count, 'in order');
      count++;
      sum += v;
    }
    assert.equal(count, 3000);
    assert.equal(sum, (2999 * 3000) / 2);
    assert.equal(pulled, 3000);
  });

  test('onProgress reports done/total after each chunk', async () => {
    const calls = [];
    assert.deepEqual(await pool.map(square, range(6), { chunksize: 1, onProgress: (done, total) => calls.push([done, total]) }), squares(6));
    assert.equal(calls.length, 6);
    assert.deepEqual(calls.at(-1), [6, 6]);
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] > calls[i - 1][0], 'done only grows');
    assert.ok(calls.every(([, total]) => total === 6));

    const starCalls = [];
    await pool.starmap(add, [[1, 2], [3, 4], [5, 6]], { chunksize: 2, onProgress: (d, t) => starCalls.push([d, t]) });
    const doneValues = starCalls.map(([d]) => d);
    assert.ok(['2,3', '1,3'].includes(String(doneValues)), `chunks of 2 and 1 items: ${doneValues}`);
    assert.deepEqual(starCalls.at(-1), [3, 3]);

    // CPython's default chunksize: about four chunks per worker.
    const defaultChunks = [];
    assert.deepEqual(await pool.map(square, range(16), { onProgress: (d) => defaultChunks.push(d) }), squares(16));
    assert.equal(defaultChunks.length, 8, `16 items on 2 workers go in chunks of 2: ${defaultChunks}`);
    const bigger = [];
    await pool.map(square, range(100), { onProgress: (d) => bigger.push(d) });
    assert.equal(bigger.length, 8, `100 items on 2 workers go in chunks of 13: ${bigger}`);

    let last = null;
    await pool.mapAsync(square, range(10), { chunksize: 3, onProgress: (d, t) => (last = [d, t]) }).get();
    assert.deepEqual(last, [10, 10]);

    const imapCalls = [];
    for await (const _ of pool.imap(square, asyncRange(7), { chunksize: 2, onProgress: (d, t) => imapCalls.push([d, t]) }));
    assert.deepEqual(imapCalls.at(-1), [7, 7], 'imap reports the total once the input is exhausted');
    for (const [done, total] of imapCalls) assert.ok(total === undefined || total === 7, `total ${total}`);
  });

  test('chunksize is honoured by imap, imapUnordered, mapAsync and starmapAsync: one progress call per chunk', async () => {
    const n = 10;
    const ceil = (size) => Math.ceil(n / size);
    // CPython's default for map-like calls (src/pool/pool.ts): ceil(n / (4 * processes)), at least 1; imap's default is 1.
    const mapDefault = (items) => Math.max(1, Math.ceil(items / (4 * pool.processes)));
    const calls = {
      imap: async (items, options) => {
        const got = [];
        for await (const v of pool.imap(square, range(items), options)) got.push(v);
        assert.deepEqual(got, squares(items));
      },
      imapUnordered: async (items, options) => {
        const got = [];
        for await (const v of pool.imapUnordered(square, range(items), options)) got.push(v);
        assert.deepEqual(got.sort((a, b) => a - b), squares(items));
      },
      mapAsync: async (items, options) => assert.deepEqual(await pool.mapAsync(square, range(items), options).get(), squares(items)),
      starmapAsync: async (items, options) =>
        assert.deepEqual(await pool.starmapAsync(add, range(items).map((i) => [i, i]), options).get(), range(items).map((i) => 2 * i)),
    };
    for (const [name, call] of Object.entries(calls)) {
      const cases = [
        [n, 1, ceil(1)],
        [n, 3, ceil(3)],
        [n, undefined, name.startsWith('imap') ? n : Math.ceil(n / mapDefault(n))],
        [100, undefined, name.startsWith('imap') ? 100 : Math.ceil(100 / mapDefault(100))],
      ];
      for (const [items, chunksize, expected] of cases) {
        const progress = [];
        const options = { onProgress: (done, total) => progress.push([done, total]) };
        if (chunksize !== undefined) options.chunksize = chunksize;
        await within(call(items, options), 20_000, `${name} with chunksize ${chunksize}`);
        const what = `${name}, ${items} items, chunksize ${chunksize ?? 'default'}: progress ${JSON.stringify(progress)}`;
        // A call per chunk, each advancing `done` by that chunk's size; imap/imapUnordered also
        // report the total once, when the input runs out, without advancing `done`.
        const steps = progress.map(([d], i) => d - (i === 0 ? 0 : progress[i - 1][0]));
        const chunkSteps = steps.filter((step) => step !== 0);
        assert.equal(chunkSteps.length, expected, `one progress call per chunk: ${what}`);
        assert.equal(steps.length - chunkSteps.length, name.startsWith('imap') ? 1 : 0, `the extra call reporting the total: ${what}`);
        assert.ok(steps.every((step) => step >= 0), `done never shrinks: ${what}`);
        assert.deepEqual(progress.at(-1), [items, items], what);
        if (!name.startsWith('imap')) assert.ok(progress.every(([, total]) => total === items), what);
        const size = chunksize ?? (name.startsWith('imap') ? 1 : mapDefault(items));
        // Every chunk is `size` items but the last, which has the remainder.
        assert.deepEqual(chunkSteps.sort((a, b) => b - a), [...Array(expected - 1).fill(size), items - size * (expected - 1)], what);
      }
    }
  });

  test('an already aborted signal is refused by every call with AbortError', async () => {
    const signal = AbortSignal.abort(new Error('stop'));
    const isAbort = (error) => error instanceof AbortError && error.name === 'AbortError';
    assert.throws(() => pool.applyAsync(square, [1], { signal }), isAbort);
    assert.throws(() => pool.mapAsync(square, [1], { signal }), isAbort);
    assert.throws(() => pool.starmapAsync(add, [[1, 2]], { signal }), isAbort);
    assert.throws(() => pool.imap(square, [1], { signal }), isAbort);
    assert.throws(() => pool.imapUnordered(square, [1], { signal }), isAbort);
    await assert.rejects(pool.apply(square, [1], { signal }), isAbort);
    await assert.rejects(pool.map(square, [1], { signal }), isAbort);
    await assert.rejects(pool.starmap(add, [[1, 2]], { signal }), isAbort);
  });

  test('aborting during a call rejects it with AbortError; finished calls keep their results; the pool serves on', async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const isAbort = (error) => error instanceof AbortError;

    const stream = pool.imap(slowSquare, range(40), { signal, bufferSize: 2 });
    const unordered = pool.imapUnordered(slowSquare, range(40), { signal, bufferSize: 2 });
    const singles = range(12).map((i) => pool.applyAsync(slowSquare, [i, 40], { signal }));
    const mapped = pool.map(slowSquare, range(40), { chunksize: 1, signal });
    const starred = pool.starmapAsync(slowSquare, range(40).map((i) => [i, 40]), { chunksize: 1, signal });
    const applied = pool.apply(slowSquare, [99, 40], { signal });
    assert.deepEqual(await within(stream.next(), 20_000), { value: 0, done: false }, 'imap yields before the abort');
    controller.abort();

    const settled = await within(Promise.allSettled(singles.map((r) => r.get())), 10_000, 'applyAsync results after abort');
    for (const [i, s] of settled.entries()) if (s.status === 'fulfilled') assert.equal(s.value, i * i);
    const aborted = settled.filter((s) => s.status === 'rejected');
    assert.ok(aborted.length > 0, 'some tasks were still queued');
    for (const s of aborted) assert.ok(isAbort(s.reason), `${s.reason}`);
    await assert.rejects(within(mapped, 10_000), isAbort);
    await assert.rejects(within(starred.get(), 10_000), isAbort);
    await assert.rejects(within(applied, 10_000), isAbort);
    await assert.rejects(async () => {
      for (;;) if ((await within(stream.next(), 10_000)).done) break;
    }, isAbort);
    await assert.rejects(async () => {
      for (;;) if ((await within(unordered.next(), 10_000)).done) break;
    }, isAbort);
    assert.deepEqual(await pool.map(square, range(5)), squares(5));
  });
});

forEachMethod((ctx) => {
  test('an aborted map drops its queued chunks: they never run', async () => {
    const pool = new ctx.Pool(2);
    const counter = new Value('i', 0);
    try {
      const controller = new AbortController();
      let started;
      const first = new Promise((resolve) => (started = resolve));
      const call = pool.starmap(countAndWait, range(30).map(() => [counter, 30]), {
        chunksize: 1,
        signal: controller.signal,
        onProgress: () => started(),
      });
      await within(first, 20_000, 'first chunk');
      controller.abort();
      await assert.rejects(call, AbortError);
      // Chunks run in submission order: once these are done, any chunk of the aborted map still queued would have run.
      assert.deepEqual(await pool.map(slowSquare, range(4), { chunksize: 1 }), squares(4));
      assert.ok(counter.value < 30, `${counter.value} of 30 tasks ran after the abort`);
    } finally {
      await within(pool.terminate(), 10_000, 'pool.terminate()');
    }
  });
}, PROCESS_METHODS);
