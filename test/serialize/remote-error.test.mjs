// remoteError: what the caller gets for a failure on the other side (a pool task's, a manager's method's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteError } from '../../dist/index.js';
import { remoteError } from '../../dist/serialize/remote-error.js';

test("an Error: its name, message, code and own properties, the remote stack, and the original as cause", () => {
  const original = Object.assign(new RangeError('out of range'), { code: 'ERR_OUT', detail: { at: 3 } });
  const error = remoteError(original);
  assert.ok(error instanceof RemoteError);
  assert.equal(error.name, 'RangeError');
  assert.equal(error.message, 'out of range');
  assert.equal(error.code, 'ERR_OUT');
  assert.deepEqual(error.detail, { at: 3 });
  assert.equal(error.cause, original);
  assert.equal(error.remoteStack, original.stack);
  assert.equal(error.stack, original.stack);
  assert.ok(!Object.keys(error).includes('name'), 'name stays non-enumerable');
});

test("an Error without a code keeps RemoteError's", () => {
  assert.equal(remoteError(new Error('plain')).code, 'ERR_MP_REMOTE');
});

test('a thrown non-Error value: a RemoteError that shows it and keeps it as `value`', () => {
  const error = remoteError({ reason: 'no' });
  assert.ok(error instanceof RemoteError);
  assert.equal(error.message, 'a task threw a non-Error value: {"reason":"no"}');
  assert.deepEqual(error.value, { reason: 'no' });
  assert.equal(remoteError('text').message, 'a task threw a non-Error value: text');
  const circular = {};
  circular.self = circular;
  assert.equal(remoteError(circular).message, 'a task threw a non-Error value: [object Object]');
});
