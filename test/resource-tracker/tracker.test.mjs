// The resource tracker: named shared memory left behind by processes that died (even by SIGKILL)
// or forgot to unlink is removed once every process of the program is gone, with one warning line
// naming it. Each case runs a whole program (test/fixtures/resource-tracker/program.mjs).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runScript } from '../helpers/run-script.mjs';
import { needsAddon, within } from '../helpers/methods.mjs';
import { track, untrack } from '../../dist/resource-tracker/client.js';
import { native } from '../../dist/internal/native.js';

const PROGRAM = fileURLToPath(new URL('../fixtures/resource-tracker/program.mjs', import.meta.url));
const seen = new Set();

after(() => {
  for (const name of seen) rmSync(`/dev/shm/${name}`, { force: true });
});

function linesStarting(text, prefix) {
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

function warningFor(names) {
  return `resource_tracker: There appear to be ${names.length} leaked shared_memory objects to clean up at shutdown: [${names.map((n) => `'${n}'`).join(', ')}]`;
}

/** Processes (the tracker included) that carry this run's environment marker. */
function processesMarked(marker) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)) found.push(Number(pid));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Resolves once none of `names` is in /dev/shm (woken by inotify events on the directory). */
async function removed(names, ms = 10_000) {
  let watcher;
  try {
    await within(
      new Promise((resolve) => {
        const check = () => {
          if (names.every((name) => !existsSync(`/dev/shm/${name}`))) resolve();
        };
        watcher = watch('/dev/shm', check);
        check();
      }),
      ms,
      `removal of ${names.join(', ')} from /dev/shm`,
    );
  } finally {
    watcher?.close();
  }
}

/**
 * Runs the program for a scenario; resolves once its output is closed, which includes the
 * tracker's stderr: by then the tracker has ended. Returns what it printed.
 */
async function run(scenario, method) {
  const marker = `MP_RT_TEST=${randomBytes(6).toString('hex')}`;
  const args = method ? [scenario, method] : [scenario];
  const result = await runScript(PROGRAM, { args, env: { MP_RT_TEST: marker.split('=')[1] } });
  return finish(result, marker);
}

function finish(result, marker) {
  const names = linesStarting(result.stdout, 'segment ');
  for (const name of names) seen.add(name);
  const created = linesStarting(result.stdout, 'created ');
  const warnings = result.stderr.split('\n').filter((line) => line.includes('resource_tracker'));
  assert.deepEqual(processesMarked(marker), [], 'no process of the program (tracker included) is left');
  return { ...result, names, created, warnings };
}

// The resource tracker exists only with the native addon: without it nothing outlives the program.
describe('segments of a main process that ends', needsAddon, () => {
  it('are removed after SIGKILL, with one warning naming them', async () => {
    const { signal, names, created, warnings, stderr } = await run('main-killed');
    assert.equal(signal, 'SIGKILL');
    assert.deepEqual(created, names, stderr);
    await removed(names);
    assert.deepEqual(warnings, [warningFor(names)]);
  });

  it('are removed after a normal exit that did not unlink them, with the warning', async () => {
    const { code, names, created, warnings, stderr } = await run('main-exits');
    assert.equal(code, 0, stderr);
    assert.equal(created.length, 1);
    await removed(names);
    assert.deepEqual(warnings, [warningFor(names)]);
  });

  it('give no warning when the program unlinked them itself', async () => {
    const { code, names, created, warnings, stderr } = await run('main-unlinks');
    assert.equal(code, 0, stderr);
    assert.equal(created.length, 1);
    assert.equal(existsSync(`/dev/shm/${names[0]}`), false);
    assert.deepEqual(warnings, []);
  });

  it('are left alone once untracked', async () => {
    const { names, created, warnings, stderr } = await run('untracked');
    assert.deepEqual(created, names, stderr);
    const [tracked, untracked] = names;
    await removed([tracked]);
    assert.deepEqual(warnings, [warningFor([tracked])]);
    // The tracker has ended (checked by run()): what it left is left for good.
    assert.equal(existsSync(`/dev/shm/${untracked}`), true);
  });

  it('are handed to a new tracker if the tracker was killed, with a warning', async () => {
    const { names, created, warnings, stderr } = await run('tracker-killed');
    assert.equal(names.length, 2);
    assert.deepEqual(created, names, stderr);
    await removed(names);
    assert.deepEqual(warnings, [
      'resource_tracker: process died unexpectedly, relaunching.  Some resources might leak.',
      warningFor(names),
    ]);
  });

  for (const [what, scenario] of [
    ['SharedMemory', 'killed-once-shared-memory-created'],
    ['a queue put keeping a large item', 'killed-once-queue-block-created'],
  ]) {
    it(`are removed when ${what} was killed the moment its segment existed (the tracker knew the name before)`, async () => {
      const { signal, names, warnings, stderr } = await run(scenario);
      assert.equal(signal, 'SIGKILL', stderr);
      assert.equal(names.length, 1, stderr);
      await removed(names);
      assert.deepEqual(warnings, [warningFor(names)]);
    });
  }

  it('a failed create of a name that exists takes nothing from its tracking, nor makes the tracker remove someone else\'s', async () => {
    const { names, created, stdout, warnings, stderr } = await run('create-taken-names');
    assert.deepEqual(linesStarting(stdout, 'taken '), ['EEXIST', 'EEXIST'], stderr);
    const [own, foreign] = names;
    assert.deepEqual(created, [own]);
    await removed([own]);
    assert.deepEqual(warnings, [warningFor([own])]);
    assert.equal(existsSync(`/dev/shm/${foreign}`), true, 'the untracked segment is left alone');
  });

  it('are removed when the whole process group is killed (the tracker is not in it)', async () => {
    const marker = `MP_RT_TEST=${randomBytes(6).toString('hex')}`;
    const child = spawn(process.execPath, [PROGRAM, 'group-killed'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MP_RT_TEST: marker.split('=')[1] },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    let status;
    try {
      status = await within(closed, 30_000, 'the group-killed program');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const { signal, names, created, warnings } = finish({ ...status, stdout, stderr }, marker);
    assert.equal(signal, 'SIGKILL');
    assert.deepEqual(created, names, stderr);
    await removed(names);
    assert.deepEqual(warnings, [warningFor(names)]);
  });
});

for (const method of ['spawn', 'forkserver', 'thread']) {
  describe(`segments created by a ${method} child`, needsAddon, () => {
    it('are removed when the child and the main process are SIGKILLed', async () => {
      const { names, created, warnings, stderr } = await run('child-crashes', method);
      assert.equal(names.length, 1);
      assert.deepEqual(created, names, stderr);
      await removed(names);
      assert.deepEqual(warnings, [warningFor(names)]);
    });

    it('outlive the child that made them, and are forgotten when another process unlinks them', async () => {
      const { names, created, warnings, stdout, stderr } = await run('child-creates-main-unlinks', method);
      assert.equal(names.length, 2, stdout + stderr);
      const [fromChild, fromMain] = names;
      assert.deepEqual(created, names, stderr);
      assert.match(stdout, /child exit code 0\n/);
      // The main process found the child's segment after the child ended, with its contents.
      assert.ok(stdout.includes(`attached ${fromChild} byte 42\n`), stdout);
      await removed(names);
      // One tracker for the whole program: the child's segment, unlinked by the main process, is
      // not reported; the main's own is.
      assert.deepEqual(warnings, [warningFor([fromMain])]);
    });
  });
}

for (const method of ['spawn', 'thread']) {
  it(`segments created by a spawn grandchild (through a ${method} child) are removed after a crash`, needsAddon, async () => {
    const { names, created, warnings, stderr } = await run('grandchild-crashes', method);
    assert.equal(names.length, 1);
    assert.deepEqual(created, names, stderr);
    await removed(names);
    assert.deepEqual(warnings, [warningFor(names)]);
  });
}

describe('track() and untrack() reject bad input', needsAddon, () => {
  it('names that are not strings, empty, or hold newlines or NUL', () => {
    assert.throws(() => track(42, 'shared_memory'), TypeError);
    assert.throws(() => track('', 'shared_memory'), TypeError);
    assert.throws(() => track('a\nREGISTER:b', 'shared_memory'), TypeError);
    assert.throws(() => untrack('a\0b', 'shared_memory'), TypeError);
  });

  it('unknown resource types', () => {
    assert.throws(() => track('mp_rt_x', 'semaphore'), { name: 'TypeError', message: /unknown resource type semaphore/ });
  });

  it('names too long for one atomic message', () => {
    assert.throws(() => track('x'.repeat(600), 'shared_memory'), RangeError);
  });

  it('none of which started a tracker; untrack() without one is a no-op', () => {
    untrack('mp_rt_never_tracked', 'shared_memory');
    assert.equal(native().getTrackerFd(), -1);
  });
});
