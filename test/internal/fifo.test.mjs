// Fifo: the first-in first-out list behind the queue's outbox and the pool's task queues.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Fifo } from '../../dist/internal/fifo.js';

test('items come out in the order they went in; an empty list gives undefined', () => {
  const fifo = new Fifo();
  assert.equal(fifo.length, 0);
  assert.equal(fifo.peek(), undefined);
  assert.equal(fifo.shift(), undefined);
  for (const item of ['a', 'b', 'c']) fifo.push(item);
  assert.equal(fifo.length, 3);
  assert.equal(fifo.peek(), 'a');
  assert.equal(fifo.shift(), 'a');
  assert.deepEqual([...fifo], ['b', 'c'], 'iteration shows what is left, without removing it');
  assert.equal(fifo.length, 2);
  assert.equal(fifo.shift(), 'b');
  assert.equal(fifo.shift(), 'c');
  assert.equal(fifo.length, 0);
  assert.equal(fifo.shift(), undefined);
});

test('order and length hold across compactions, with pushes and shifts interleaved', () => {
  const fifo = new Fifo();
  const model = [];
  let next = 0;
  // Pushes two for each shift, then drains: the consumed prefix passes the compaction threshold many times.
  for (let round = 0; round < 10_000; round++) {
    fifo.push(next);
    model.push(next++);
    if (round % 2 === 0) {
      fifo.push(next);
      model.push(next++);
    }
    assert.equal(fifo.shift(), model.shift());
  }
  assert.equal(fifo.length, model.length);
  assert.deepEqual([...fifo], model);
  while (model.length > 0) assert.equal(fifo.shift(), model.shift());
  assert.equal(fifo.length, 0);
});

test('a shifted item is no longer referenced by the list (its payload can be collected)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const fifo = new Fifo();
  let payload = { big: new Uint8Array(1 << 20) };
  const collected = new WeakRef(payload);
  fifo.push(payload);
  fifo.push('kept');
  fifo.shift();
  payload = null;
  // A WeakRef holds its target until the current job ends.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  assert.equal(collected.deref(), undefined);
  assert.deepEqual([...fifo], ['kept']);
});

test('unshiftAll puts items back at the front in their order, before and after a shift', () => {
  const fifo = new Fifo();
  fifo.unshiftAll([]);
  assert.equal(fifo.length, 0);
  for (let i = 0; i < 5; i++) fifo.push(i);
  fifo.shift();
  fifo.shift();
  fifo.shift();
  // Fits into the consumed prefix.
  fifo.unshiftAll(['x', 'y']);
  assert.deepEqual([...fifo], ['x', 'y', 3, 4]);
  // Does not fit: the array is rebuilt.
  fifo.unshiftAll(['p', 'q', 'r', 's']);
  assert.deepEqual([...fifo], ['p', 'q', 'r', 's', 'x', 'y', 3, 4]);
  assert.equal(fifo.length, 8);
  assert.equal(fifo.shift(), 'p');
});

test('retain keeps the accepted items in order and returns how many it dropped; clear empties', () => {
  const fifo = new Fifo();
  for (let i = 0; i < 10; i++) fifo.push(i);
  fifo.shift();
  assert.equal(fifo.retain((n) => n % 3 !== 0), 3, 'drops 3, 6 and 9');
  assert.deepEqual([...fifo], [1, 2, 4, 5, 7, 8]);
  assert.equal(fifo.length, 6);
  fifo.clear();
  assert.equal(fifo.length, 0);
  assert.equal(fifo.peek(), undefined);
  fifo.push('again');
  assert.equal(fifo.shift(), 'again');
});
