// Without the native addon (a platform it does not support, or MULTIPROCESSING_TS_NATIVE=0), the
// package works with threads only: process start methods fail at start() with one clear error,
// 'thread' is the only start method listed and the default, waits use V8's Atomics, and named
// shared memory is known per thread. Each case runs as its own program with the variable set (the
// package reads it once per process), so this file runs in both passes of the suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runScript } from '../helpers/run-script.mjs';

const PROGRAMS = fileURLToPath(new URL('../fixtures/internal/no-addon-programs.mjs', import.meta.url));
const WITHOUT_ADDON = { MULTIPROCESSING_TS_NATIVE: '0' };
const REASON = 'the native addon is turned off (MULTIPROCESSING_TS_NATIVE=0)';

/** Runs a role of the programs without the addon; `get(what, method?)` is the finding it printed. */
async function findings(role, timeout = 30_000) {
  const { code, stdout, stderr } = await runScript(PROGRAMS, { args: [role], env: WITHOUT_ADDON, timeout });
  assert.equal(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
  const lines = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  return {
    lines,
    get: (what, method) => lines.find((line) => line.what === what && (method === undefined || line.method === method)),
  };
}

test("only 'thread' is listed and is the default; spawn and forkserver contexts exist, and their start() throws one clear ProcessError", async () => {
  const seen = await findings('start-methods');
  assert.deepEqual(seen.get('methods'), { what: 'methods', all: ['thread'], default: 'thread' });
  for (const method of ['spawn', 'forkserver']) {
    assert.deepEqual(seen.get('context', method), { what: 'context', method, got: method }, 'the context exists');
    const refused = seen.get('start refused', method);
    assert.ok(refused, `${method}: start() did not throw`);
    assert.equal(refused.error.name, 'ProcessError');
    assert.equal(refused.error.code, 'ERR_MP_PROCESS');
    assert.ok(refused.error.message.includes(`'${method}'`), refused.error.message);
    assert.ok(refused.error.message.includes(REASON), 'the message names the reason');
    assert.match(refused.error.message, /getContext\('thread'\)/, 'the message points at the thread context');
    assert.match(refused.error.message, /ThreadPool/);
  }
  assert.equal(seen.get('started'), undefined);
});

test('a Pool that would start process workers throws the same error at construction; the default Pool and Process use threads', async () => {
  const seen = await findings('start-methods');
  for (const method of ['spawn', 'forkserver']) {
    assert.equal(seen.get('pool made', method), undefined, `${method}: the Pool was made`);
    const refused = seen.get('pool refused', method);
    assert.equal(refused.error.name, 'ProcessError');
    assert.ok(refused.error.message.includes(REASON));
    assert.ok(refused.error.message.includes(`'${method}'`));
  }
  assert.deepEqual(seen.get('default Process'), { what: 'default Process', exitCode: 0, samePid: true, isMainThread: false });
  assert.deepEqual(seen.get('pools'), { what: 'pools', squares: [1, 4, 9], four: 4 });
  // Shared objects reach threads as arguments; as bytes (to a process, or a Queue's items) they cannot.
  for (const what of ['send refused', 'put refused']) {
    assert.equal(seen.get(what)?.error.name, 'ProcessError', what);
    assert.match(seen.get(what).error.message, /Cannot send shared memory .* to another process or through a Queue: the native addon is turned off/);
    assert.match(seen.get(what).error.message, /getContext\('thread'\)/);
  }
  // A Listener binds with the addon's sockets: one clear error, naming what works instead.
  assert.equal(seen.get('listening'), undefined);
  const listener = seen.get('listener refused');
  assert.equal(listener?.error.name, 'ProcessError');
  assert.ok(listener.error.message.includes(REASON));
  assert.match(listener.error.message, /Pipe\(\).*new Connection\(socket\)/);
  // No process was started: no forkserver spares, no resource tracker.
  const { pids } = seen.get('child processes');
  if (pids !== null) assert.deepEqual(pids, []);
});

test('waits on V8 Atomics: not-equal, timeouts, wake-ups, AbortSignal, and a wake taken by a cancelled wait passed on', async () => {
  const seen = await findings('futex');
  assert.equal(seen.get('sync not-equal').result, 'not-equal');
  assert.equal(seen.get('sync timed-out').result, 'timed-out');
  assert.ok(seen.get('sync timed-out').ms >= 29, `a 30 ms sync wait ended after ${seen.get('sync timed-out').ms} ms`);
  assert.equal(seen.get('async not-equal').result, 'not-equal');
  assert.equal(seen.get('async timed-out').result, 'timed-out');
  assert.ok(seen.get('async timed-out').ms >= 29, `a 30 ms async wait ended after ${seen.get('async timed-out').ms} ms`);
  assert.deepEqual(seen.get('async woken'), { what: 'async woken', value: 'ok' });
  for (const [what, cause] of [
    ['async aborted', 'stop'],
    ['async aborted before', 'This operation was aborted'],
  ]) {
    assert.equal(seen.get(what).error?.name, 'AbortError', what);
    assert.equal(seen.get(what).error.code, 'ABORT_ERR');
    assert.equal(seen.get(what).cause, cause, 'the signal reason is the cause');
  }
  assert.deepEqual(seen.get('wake after a cancelled wait'), { what: 'wake after a cancelled wait', live: { value: 'ok' } });
  assert.deepEqual(seen.get('blocking wait after a cancelled one'), { what: 'blocking wait after a cancelled one', result: 'ok', fast: true });
  assert.deepEqual(seen.get('sync wait in a thread'), { what: 'sync wait in a thread', woke: 1, result: 'ok' });
});

test('a pending async wait keeps the program alive until it is woken', async () => {
  const seen = await findings('keep-alive');
  assert.deepEqual(seen.get('pending wait'), { what: 'pending wait', result: 'ok' });
});

test('waits that timed out, were aborted or were woken no longer hold the program', async () => {
  const seen = await findings('let-go', 10_000);
  assert.ok(seen.get('settled'));
});

test('SharedMemory by name among threads: known to threads started after it, sent along with a block, per thread otherwise', async () => {
  const seen = await findings('shared-memory');
  assert.deepEqual(seen.get('attach by name in a thread'), { what: 'attach by name in a thread', said: 'ok', bytes: 'by name' });
  assert.deepEqual(seen.get('list by name in a thread'), { what: 'list by name in a thread', said: 'ok', items: ['thread', 'two'] });
  assert.deepEqual(seen.get('a sent block registers its name'), { what: 'a sent block registers its name', said: 'ok', bytes: 'sent' });
  assert.deepEqual(seen.get('pool workers know the names'), { what: 'pool workers know the names', byte: 77 });

  const late = seen.get('attach a name made after start').said;
  assert.equal(late.name, 'FileNotFoundError');
  assert.equal(late.code, 'ENOENT');
  assert.match(late.message, /no shared memory named 'mp_noaddon_made_later' is known to this thread/);
  assert.ok(late.message.includes(REASON), 'the message says why');
  assert.match(late.message, /Send the SharedMemory or ShareableList to this thread as an argument, or create it before starting the thread/);

  const unlinked = seen.get('unlink in a thread');
  assert.equal(unlinked.said.code, 'ENOENT', 'unlink() removes the name in the thread that calls it');
  assert.equal(unlinked.stillHere, 64, "and only there: the parent's name stays");
  assert.equal(seen.get('attach after unlink').said.code, 'ENOENT');
  const { pids } = seen.get('child processes');
  if (pids !== null) assert.deepEqual(pids, [], 'no resource tracker was started');
});
