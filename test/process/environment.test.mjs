// A child sees the parent's environment as it is at start(), on every start method, even when
// it comes from a spare booted before the variable was set (forkserver, thread).
import '../fixtures/process/env-preset.mjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, forEachMethod, within } from '../helpers/methods.mjs';
import { reportEnv } from '../fixtures/process/env-tasks.mjs';

forEachMethod((ctx, method) => {
  test('variables set or removed just before start() are seen by the child', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-env-'));
    const file = join(dir, 'env.json');
    const warm = new ctx.Process({ target: reportEnv, args: [file, []] });
    const processes = [warm];
    t.after(async () => {
      await cleanup(processes);
      delete process.env.MP_TEST_ADDED;
      process.env.MP_TEST_REMOVED = 'present-when-spares-booted';
      rmSync(dir, { recursive: true, force: true });
    });
    // A first start makes sure spares are booted before the variables change.
    warm.start();
    await within(warm.join(), 10_000, 'first child');
    process.env.MP_TEST_ADDED = `added-for-${method}`;
    delete process.env.MP_TEST_REMOVED;
    const p = new ctx.Process({ target: reportEnv, args: [file, ['MP_TEST_ADDED', 'MP_TEST_REMOVED']] });
    processes.push(p);
    p.start();
    await within(p.join(), 10_000, 'child');
    assert.equal(p.exitCode, 0);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { MP_TEST_ADDED: `added-for-${method}`, MP_TEST_REMOVED: null });
  });
});
