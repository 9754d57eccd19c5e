// Unlike CPython, shared objects reach processes that are already running (not only children at
// start): the handle names memory the receiver maps itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { serialize } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { Lock, RawArray } from '../../dist/index.js';
import { encode } from '../../dist/serialize/codec.js';
import { needsAddon, within } from '../helpers/methods.mjs';

const receiver = fileURLToPath(new URL('../fixtures/core/running-receiver.mjs', import.meta.url));

test('a Lock and a RawArray sent to a running process are the same lock and memory there', needsAddon, async (t) => {
  const lock = new Lock();
  const counter = RawArray('i', 1);
  counter[0] = 41;
  const child = spawn(process.execPath, [receiver], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => (await within(lines.next(), 10_000, 'a line from the receiver')).value;
  assert.equal(await next(), 'ready');

  const message = encode({ lock, counter }, { kind: 'process' });
  child.stdin.write(`${serialize(message).toString('base64')}\n`);
  assert.equal(await next(), 'held 42');
  assert.equal(counter[0], 42, 'the receiver wrote to our memory');
  assert.equal(lock.isLocked(), true);
  assert.equal(await lock.acquire({ block: false }), false, 'the receiver holds our lock');

  child.stdin.write('release\n');
  assert.equal(await next(), 'released');
  assert.equal(await lock.acquire({ timeout: 5_000 }), true);
  lock.release();
  await within(new Promise((resolve) => child.once('exit', resolve)), 10_000, 'receiver exit');
});
