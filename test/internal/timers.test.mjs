// withTimeout: a promise raced against a timeout and an AbortSignal, leaving no timer behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { AbortError } from '../../dist/index.js';
import { TIMED_OUT, withTimeout } from '../../dist/internal/timers.js';

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

test('the promise wins: its value, and the timer is cleared at once', async () => {
  const before = timers();
  assert.equal(await withTimeout(Promise.resolve('value'), 60_000), 'value');
  assert.equal(timers(), before, 'no timer left running');
  await assert.rejects(withTimeout(Promise.reject(new Error('boom')), 60_000), /boom/);
  assert.equal(timers(), before, 'no timer left running after a rejection either');
});

test('the time runs out first: TIMED_OUT, after about the time given', async () => {
  const started = performance.now();
  const never = new Promise(() => {});
  assert.equal(await withTimeout(never, 30), TIMED_OUT);
  assert.ok(performance.now() - started >= 25, 'not before the timeout');
});

test('no limit (null) waits for the promise', async () => {
  let resolve;
  const later = new Promise((r) => (resolve = r));
  setImmediate(() => resolve(7));
  assert.equal(await withTimeout(later, null), 7);
});

test('an abort first: AbortError with the reason as cause, and the timer is cleared', async () => {
  const before = timers();
  const controller = new AbortController();
  const racing = withTimeout(new Promise(() => {}), 60_000, { signal: controller.signal });
  controller.abort('stop');
  await assert.rejects(racing, (error) => error instanceof AbortError && error.cause === 'stop');
  assert.equal(timers(), before);
  const aborted = AbortSignal.abort('already');
  await assert.rejects(withTimeout(new Promise(() => {}), null, { signal: aborted }), (error) => error.cause === 'already');
});

test('a settled race does not keep the program alive, and an unref timer never does', () => {
  const script = (body) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `import { withTimeout } from ${JSON.stringify(new URL('../../dist/internal/timers.js', import.meta.url).href)};\n${body}`], {
      encoding: 'utf8',
      timeout: 20_000,
    });
  const settled = script(`const started = Date.now(); await withTimeout(Promise.resolve(1), 600_000); process.on('exit', () => console.log(Date.now() - started));`);
  assert.equal(settled.status, 0, settled.stderr);
  assert.ok(Number(settled.stdout) < 10_000, `exited after ${settled.stdout} ms`);
  const unref = script(`void withTimeout(new Promise(() => {}), 600_000, { ref: false }); console.log('left');`);
  assert.equal(unref.status, 0, unref.stderr);
  assert.equal(unref.stdout.trim(), 'left');
});
