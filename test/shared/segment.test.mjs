// Anonymous shared segments and waits on their words, between real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runScript } from '../helpers/run-script.mjs';
import { needsAddon, within } from '../helpers/methods.mjs';
import { Segment, allocate, words, waitAsync, wake } from '../fixtures/core/segments.mjs';

const programs = fileURLToPath(new URL('../fixtures/core/segment-programs.mjs', import.meta.url));

test('a segment rejects sizes that are not positive integers', () => {
  for (const size of [0, -1, 1.5, Number.NaN]) assert.throws(() => Segment.create(size), RangeError);
});

test('another process maps the same memory through a handle, and its wake ends our async wait', needsAddon, async () => {
  const { code, stdout, stderr } = await runScript(programs, { args: ['await-wake'] });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^read 0$/m);
  assert.match(stdout, /^result (ok|not-equal) value 1$/m);
});

test('attaching after the sharing process has exited is a clear error', needsAddon, async () => {
  const holder = spawn(process.execPath, [programs, 'hold'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await within(
    new Promise((resolve) => holder.stdout.once('data', (chunk) => resolve(String(chunk).trim()))),
    10_000,
    'holder start',
  );
  const attached = await runScript(programs, { args: ['attach', line] });
  assert.match(attached.stdout, /^read 1234$/m, 'a live holder shares its memory');
  holder.stdin.end();
  await within(new Promise((resolve) => holder.once('exit', resolve)), 10_000, 'holder exit');
  const failed = await runScript(programs, { args: ['attach', line] });
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /Cannot map shared memory .*has exited or released it/);
});

test('an aborted async wait rejects with AbortError and does not keep the process alive', async () => {
  const { code, stdout } = await runScript(programs, { args: ['abort-then-exit'], timeout: 10_000 });
  assert.equal(code, 0);
  assert.equal(stdout.trim(), 'rejected AbortError ABORT_ERR cause=stop');
});

test('sync waits time out, and return at once when the word differs', async () => {
  const { stdout } = await runScript(programs, { args: ['sync-timeout'] });
  assert.equal(stdout.trim(), 'timed-out not-equal');
});

test("parked async waits do not occupy libuv's thread pool", async () => {
  const view = words(allocate(64), 16);
  // More parked waits than the pool has threads (4): file reads must still complete.
  const parked = Array.from({ length: 8 }, (_, i) => waitAsync(view, i, 0, null));
  const reads = await within(Promise.all(Array.from({ length: 8 }, () => readFile(programs))), 10_000, 'file reads');
  assert.equal(reads.length, 8);
  for (let i = 0; i < 8; i++) {
    Atomics.store(view, i, 1);
    wake(view, i, 1);
  }
  const results = await within(Promise.all(parked), 10_000, 'parked waits');
  assert.ok(results.every((r) => r === 'ok' || r === 'not-equal'));
});

test('many async waits on many words in one process all complete (more than one waiter thread)', async () => {
  const view = words(allocate(4 * 300), 300);
  const pending = Array.from({ length: 300 }, (_, i) => waitAsync(view, i, 0, 10_000));
  for (let i = 0; i < 300; i++) {
    Atomics.store(view, i, 1);
    wake(view, i, 1);
  }
  const results = await within(Promise.all(pending), 15_000, '300 waits');
  assert.ok(results.every((r) => r === 'ok' || r === 'not-equal'), JSON.stringify([...new Set(results)]));
});

test('a wait that times out resolves timed-out, and one woken later in time resolves ok', async () => {
  const view = words(allocate(8), 2);
  assert.equal(await waitAsync(view, 0, 0, 20), 'timed-out');
  const pending = waitAsync(view, 1, 0, 10_000);
  setImmediate(() => {
    Atomics.store(view, 1, 7);
    wake(view, 1, 1);
  });
  assert.ok(['ok', 'not-equal'].includes(await pending));
});
