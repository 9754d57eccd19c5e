// Event: CPython's _TestEvent (test_event, test_repr), timeouts of both waits, AbortSignal
// cancellation, a set() seen by waiters even when cleared at once, and the flag shared with
// children on every start method.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AbortError, Event, Semaphore } from '../../dist/index.js';
import { forEachMethod, processStarter } from '../helpers/methods.mjs';
import { expectUnset, setEvent, waitForEvent } from '../fixtures/synchronize/events.mjs';

const { start, join } = processStarter();

test('an Event is raised, seen, and lowered, as CPython test_event', async () => {
  const event = new Event();
  assert.equal(event.isSet(), false);
  assert.equal(await event.wait({ timeout: 0 }), false);
  assert.equal(event.waitSync({ timeout: 0 }), false);
  assert.equal(await event.wait({ timeout: 30 }), false);
  assert.equal(event.waitSync({ timeout: 30 }), false);
  event.set();
  assert.equal(event.isSet(), true);
  assert.equal(await event.wait(), true);
  assert.equal(event.waitSync(), true);
  assert.equal(await event.wait({ timeout: 30 }), true);
  event.set();
  assert.equal(event.isSet(), true, 'setting twice keeps it set');
  event.clear();
  assert.equal(event.isSet(), false);
  assert.equal(event.waitSync({ timeout: 0 }), false);
  event.clear();
  assert.equal(event.isSet(), false);
});

test('an Event shows its state, as CPython test_repr', () => {
  const event = new Event();
  assert.equal(String(event), '<Event unset>');
  event.set();
  assert.equal(String(event), '<Event set>');
  event.clear();
  assert.equal(String(event), '<Event unset>');
});

test('waiters woken by set() return true even if the flag is cleared before they run', async () => {
  const event = new Event();
  const waiters = [event.wait({ timeout: 10_000 }), event.wait({ timeout: 10_000 })];
  event.set();
  event.clear();
  assert.deepEqual(await Promise.all(waiters), [true, true]);
  assert.equal(event.isSet(), false);
});

test('an aborted wait rejects, and the event still works for others', async () => {
  const event = new Event();
  const controller = new AbortController();
  const aborted = event.wait({ signal: controller.signal });
  const other = event.wait({ timeout: 10_000 });
  controller.abort();
  await assert.rejects(aborted, AbortError);
  event.set();
  assert.equal(await other, true);
  await assert.rejects(event.wait({ signal: AbortSignal.abort() }), AbortError);
});

test('bad wait options are TypeErrors', async () => {
  const event = new Event();
  await assert.rejects(event.wait({ timeout: 'later' }), TypeError);
  await assert.rejects(event.wait({ signal: 'stop' }), TypeError);
  assert.throws(() => event.waitSync({ timeout: {} }), TypeError);
  assert.throws(() => event.waitSync(3), TypeError);
});

forEachMethod((ctx) => {
  test('the parent waits for an event a child sets, as CPython test_event', async () => {
    const event = new Event();
    const unset = start(ctx, expectUnset, [event]);
    await join(unset);
    assert.equal(unset.exitCode, 0);
    const waiting = event.wait({ timeout: 15_000 });
    const p = start(ctx, setEvent, [event]);
    assert.equal(await waiting, true);
    assert.equal(event.isSet(), true);
    await join(p);
  });

  test('one set() wakes every child waiting, sync and async', async () => {
    const event = new Event();
    const ready = new Semaphore(0);
    const woken = new Semaphore(0);
    const children = [
      start(ctx, waitForEvent, [event, ready, woken, 'sync']),
      start(ctx, waitForEvent, [event, ready, woken, 'async']),
      start(ctx, waitForEvent, [event, ready, woken, 'sync']),
    ];
    for (let i = 0; i < 3; i++) assert.equal(await ready.acquire({ timeout: 15_000 }), true);
    assert.equal(woken.getValue(), 0);
    event.set();
    for (let i = 0; i < 3; i++) assert.equal(await woken.acquire({ timeout: 15_000 }), true);
    for (const p of children) {
      await join(p);
      assert.equal(p.exitCode, 0);
    }
  });
});
