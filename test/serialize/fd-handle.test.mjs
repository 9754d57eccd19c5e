// A file descriptor inside a handle's state: a duplicate by number to a thread, a duplicate kept
// for the receiving process to take otherwise (CPython's reduction.DupFd).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reduceFd, takeFd } from '../../dist/serialize/fd-handle.js';
import { needsAddon } from '../helpers/methods.mjs';

const FILE = fileURLToPath(import.meta.url);

/** Whether two fds name the same open file. */
function sameFile(a, b) {
  const [x, y] = [fs.fstatSync(a), fs.fstatSync(b)];
  return x.dev === y.dev && x.ino === y.ino;
}

test('to a thread: a duplicate named by number, which outlives the original', needsAddon, () => {
  const fd = fs.openSync(FILE, 'r');
  const state = reduceFd(fd, { kind: 'thread' });
  assert.equal(state.kind, 'fd');
  assert.notEqual(state.fd, fd);
  assert.ok(sameFile(state.fd, fd));
  fs.closeSync(fd);
  const taken = takeFd(state);
  assert.equal(taken, state.fd);
  assert.equal(fs.readFileSync(taken, 'utf8'), fs.readFileSync(FILE, 'utf8'));
  fs.closeSync(taken);
});

test('to a process: no fd number in the state; the receiver takes its own duplicate, once', needsAddon, () => {
  const fd = fs.openSync(FILE, 'r');
  try {
    const state = reduceFd(fd, { kind: 'process' });
    assert.equal(state.kind, 'shared');
    assert.equal('fd' in state, false);
    const taken = takeFd(state);
    try {
      assert.notEqual(taken, fd);
      assert.ok(sameFile(taken, fd));
    } finally {
      fs.closeSync(taken);
    }
    assert.throws(() => takeFd(state), /No such file or directory/);
  } finally {
    fs.closeSync(fd);
  }
});
