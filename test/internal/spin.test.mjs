// Where the kernel does not publish how many threads are runnable (no /proc/loadavg: macOS,
// Windows, some sandboxes), spinning is decided by its own record alone, and the file is not
// looked for again on every wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runScript } from '../helpers/run-script.mjs';

const PROGRAM = fileURLToPath(new URL('../fixtures/internal/without-loadavg.mjs', import.meta.url));

test('without /proc/loadavg, waits still spin, and the file is looked for once', { skip: availableParallelism() < 2 && 'one CPU: waits never spin' }, async () => {
  const { code, stdout, stderr } = await runScript(PROGRAM, { args: ['spin'] });
  assert.equal(code, 0, stderr);
  const seen = JSON.parse(stdout);
  assert.equal(seen.spun, true, 'a sync spin saw what it waited for');
  assert.equal(seen.calls, 3);
  assert.equal(seen.spunAsync, true, 'an async spin saw what it waited for');
  assert.equal(seen.looks, 1, 'the missing file was looked for once');
});
