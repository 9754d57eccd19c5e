// Deadline: the point in time a blocking call gives up at, shared by the steps of one call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadline } from '../../dist/internal/deadline.js';

test('a null timeout never passes and has no remaining time', () => {
  const deadline = new Deadline(null);
  assert.equal(deadline.remaining(), null);
  assert.equal(deadline.passed(), false);
});

test('remaining() counts down to 0 and passed() turns true once the time is up', () => {
  const deadline = new Deadline(0);
  assert.equal(deadline.remaining(), 0);
  assert.equal(deadline.passed(), true);
  const later = new Deadline(60_000);
  const left = later.remaining();
  assert.ok(left !== null && left > 59_000 && left <= 60_000, `remaining ${left}`);
  assert.equal(later.passed(), false);
});
