// Process lifecycle on every start method: states before, during and after a run, joins with
// and without timeouts, signals and exit codes, sentinel, close, and the misuse errors.
// Translated from CPython's _TestProcess (test_process, test_terminate, test_kill,
// test_interrupt_no_handler, test_active_children, test_sentinel, test_close,
// test_many_processes, test_lose_target_ref) and _TestSubclassingProcess.test_sys_exit.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Process, ProcessError, Sentinel, activeChildren, currentProcess } from '../../dist/index.js';
import { PROCESS_METHODS, cleanup, forEachMethod, within } from '../helpers/methods.mjs';
import { settleSpares, settleToIdleSpare } from '../helpers/spares.mjs';
import { readReport, reportAppears, reportDir, running } from '../fixtures/process/observe.mjs';
import {
  checkRichArgs,
  cleanUpOnSigterm,
  describeSelf,
  doNothing,
  exitWith,
  finishAfterUnrefTimer,
  ignoreSigterm,
  rejectAfterTimer,
  reportActiveChildren,
  setExitCode,
  throwError,
  throwValue,
  tryStartChild,
  waitForever,
} from '../fixtures/process/tasks.mjs';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const reports = reportDir();
after(() => reports.remove());

const started = [];
afterEach(() => cleanup(started.splice(0)));

/** Creates a process that the test's cleanup will stop and join if the test fails midway. */
function track(p) {
  started.push(p);
  return p;
}

const join = (p, ms = 15_000) => within(p.join(), ms, `join of ${p.name}`);

/** What a run of start/join cycles could leak in this process: open fds, OS threads, /dev/shm entries. */
function resources() {
  return {
    fds: readdirSync('/proc/self/fd').length,
    threads: Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]),
    shm: new Set(existsSync('/dev/shm') ? readdirSync('/dev/shm') : []),
  };
}

forEachMethod((ctx, method) => {
  const isThread = method === 'thread';

  test('disposal (await using) ends a running child, and releases the Process', async () => {
    const ready = reports.file('dispose-running');
    const p = track(new ctx.Process({ target: waitForever, args: [ready] }));
    p.start();
    await reportAppears(ready);
    await within(p[Symbol.asyncDispose](), 10_000, 'disposal');
    assert.throws(() => p.isAlive(), /closed/, 'disposal closed it');
    if (!isThread) assert.equal(running(readReport(ready).pid), false, 'the child ended');
  });

  if (!isThread) {
    test('disposal of a child that ignores SIGTERM kills it after the grace period instead of hanging', async () => {
      const ready = reports.file('dispose-stubborn');
      const p = track(new ctx.Process({ target: ignoreSigterm, args: [ready] }));
      p.start();
      await reportAppears(ready);
      await within(p[Symbol.asyncDispose](), 10_000, 'disposal of a child that ignores SIGTERM');
      assert.equal(running(readReport(ready).pid), false, 'killed after SIGTERM was ignored');
      await within(p[Symbol.asyncDispose](), 1_000, 'a second disposal');
    });

    test('disposal gives a child that handles SIGTERM the time to clean up and exit by itself', async () => {
      const ready = reports.file('dispose-graceful');
      const cleaned = reports.file('dispose-cleaned');
      const p = track(new ctx.Process({ target: cleanUpOnSigterm, args: [ready, cleaned] }));
      p.start();
      await reportAppears(ready);
      await within(p[Symbol.asyncDispose](), 10_000, 'disposal');
      assert.deepEqual(readReport(cleaned), { cleaned: true }, 'its SIGTERM handler ran');
    });
  }

  test('start and join, again and again, leaves fds, threads, children and /dev/shm where they were', async () => {
    await settleSpares();
    const samples = [];
    for (let i = 0; i < 28; i++) {
      const p = track(new ctx.Process({ target: doNothing }));
      p.start();
      await join(p);
      assert.equal(p.exitCode, 0);
      // The first cycles warm up: spares booted, the resource tracker started, modules loaded.
      // Each sample is taken with the spares back at their idle count, so spares that follow
      // demand (one or two, booting or not) do not move the counts.
      if (i >= 4) {
        await settleToIdleSpare(method);
        samples.push(resources());
      }
    }
    assert.deepEqual(activeChildren(), []);
    // fds and threads of spares still booting or of children being torn down come and go between
    // samples; a leak raises the floor. Compare the lowest of the first and of the last eight.
    const floor = (part, key) => Math.min(...part.map((sample) => sample[key]));
    const [first, last] = [samples.slice(0, 8), samples.slice(-8)];
    for (const key of ['fds', 'threads']) {
      assert.ok(floor(last, key) <= floor(first, key) + 1, `${key}: ${samples.map((sample) => sample[key]).join(' ')}`);
    }
    // /dev/shm is the machine's: other programs' (and tests') blocks come and go. A block this loop
    // leaked appears after the first samples and stays in every later one.
    const stayed = [...last[0].shm].filter((name) => last.every((sample) => sample.shm.has(name)) && !first.some((sample) => sample.shm.has(name)));
    assert.deepEqual(stayed, [], 'shared memory blocks left by the start/join cycles');
  });

  test('a process moves from initial to started to stopped, as CPython test_process', async () => {
    const out = reports.file();
    const p = track(new ctx.Process({ target: describeSelf, args: [out, 1, 'two', [3]], name: 'SomeProcess' }));
    p.daemon = true;

    assert.deepEqual(p.authkey, currentProcess().authkey);
    assert.equal(p.isAlive(), false);
    assert.equal(p.daemon, true);
    assert.equal(p.pid, null);
    assert.equal(p.exitCode, null);
    assert.ok(!activeChildren().includes(p));
    assert.ok(Array.isArray(activeChildren()));
    assert.match(String(p), /^<\w+ name='SomeProcess' initial daemon>$/);

    p.start();
    assert.equal(p.exitCode, null);
    assert.equal(typeof p.pid, 'number');
    assert.equal(p.ident, p.pid);
    assert.ok(activeChildren().includes(p), 'a started child is listed as active');

    const seen = await reportAppears(out);
    await join(p);

    assert.deepEqual(seen.args, [1, 'two', [3]]);
    assert.equal(seen.name, 'SomeProcess');
    assert.equal(seen.authkey, p.authkey.toString('hex'));
    assert.equal(seen.pid, p.pid);
    if (isThread) assert.equal(p.pid, process.pid, 'a thread-process shares the OS process');
    else assert.notEqual(p.pid, process.pid);
    assert.equal(p.exitCode, 0);
    assert.equal(p.isAlive(), false);
    assert.ok(!activeChildren().includes(p));
    assert.match(String(p), /^<\w+ name='SomeProcess' stopped pid=\d+ parent=\d+ exitcode=0 daemon>$/);
  });

  test('arguments arrive as structured clones: Map, Set, Date, BigInt, bytes, cycles (test_args_argument)', async () => {
    const out = reports.file();
    const nested = { name: 'loop' };
    nested.self = nested;
    const args = [out, new Map([['k', 1]]), new Set([2]), new Date(0), 2n ** 70n, new Uint8Array([1, 2, 3]), nested];
    const p = track(new ctx.Process({ target: checkRichArgs, args }));
    p.start();
    await join(p);
    assert.equal(p.exitCode, 0);
    assert.deepEqual(readReport(out), { map: true, set: true, date: true, big: true, bytes: true, cycle: true });
  });

  test("activeChildren() in a child lists the child's own children while they run", async () => {
    const out = reports.file();
    const p = track(new ctx.Process({ target: reportActiveChildren, args: [out] }));
    p.start();
    await join(p);
    assert.equal(p.exitCode, 0);
    assert.deepEqual(readReport(out), { before: false, during: true, after: false });
  });

  test('join({ timeout }) resolves undefined while the child still runs; terminate() gives -15', async () => {
    const ready = reports.file('ready');
    const p = track(new ctx.Process({ target: waitForever, args: [ready], daemon: true }));
    p.start();
    assert.equal(p.isAlive(), true);
    assert.ok(activeChildren().includes(p));
    assert.equal(p.exitCode, null);

    assert.equal(await p.join({ timeout: 0 }), undefined);
    assert.equal(p.isAlive(), true);
    assert.equal(await p.join({ timeout: -1 }), undefined, 'a negative timeout counts as 0');
    assert.equal(p.isAlive(), true);
    await reportAppears(ready);
    assert.equal(await p.join({ timeout: 50 }), undefined);
    assert.equal(p.isAlive(), true);
    assert.equal(p.exitCode, null);

    p.terminate();
    assert.equal(await join(p), undefined);
    assert.equal(p.isAlive(), false);
    assert.equal(p.exitCode, -15);
    assert.ok(!activeChildren().includes(p));
    await join(p); // joining an ended process again is fine
    p.terminate(); // and signalling it is a no-op
    assert.equal(p.exitCode, -15);
  });

  test('join({ signal }) rejects with AbortError when aborted and leaves the child running', async () => {
    const ready = reports.file('ready');
    const p = track(new ctx.Process({ target: waitForever, args: [ready], daemon: true }));
    p.start();
    await reportAppears(ready);
    const controller = new AbortController();
    const joining = p.join({ signal: controller.signal });
    controller.abort('stop waiting');
    await assert.rejects(within(joining, 5_000, 'an aborted join'), (e) => e.name === 'AbortError' && e.code === 'ABORT_ERR' && e.cause === 'stop waiting');
    assert.equal(p.isAlive(), true, 'the child runs on');
    await assert.rejects(p.join({ signal: controller.signal }), { name: 'AbortError' }, 'an aborted signal rejects at once');
    assert.equal(await p.join({ timeout: 10, signal: new AbortController().signal }), undefined, 'a timeout still resolves');
    await assert.rejects(p.join({ signal: 'no' }), TypeError);
    p.kill();
    assert.equal(await within(p.join({ signal: new AbortController().signal }), 15_000, 'join'), undefined);
    assert.equal(p.exitCode, -9);
  });

  test('kill() gives -9 and interrupt() gives -2', async () => {
    const readyA = reports.file('ready');
    const readyB = reports.file('ready');
    const a = track(new ctx.Process({ target: waitForever, args: [readyA] }));
    const b = track(new ctx.Process({ target: waitForever, args: [readyB] }));
    a.start();
    b.start();
    await Promise.all([reportAppears(readyA), reportAppears(readyB)]);
    a.kill();
    b.interrupt();
    await join(a);
    await join(b);
    assert.equal(a.exitCode, -9);
    assert.equal(b.exitCode, -2);
  });

  test('joinSync() blocks until the end, or returns after its timeout', async () => {
    const ready = reports.file('ready');
    const p = track(new ctx.Process({ target: waitForever, args: [ready] }));
    p.start();
    await reportAppears(ready);
    assert.equal(p.joinSync({ timeout: 20 }), undefined);
    assert.equal(p.isAlive(), true);
    p.joinSync({ timeout: 0 });
    assert.equal(p.isAlive(), true);
    p.kill();
    assert.equal(p.joinSync(), undefined);
    assert.equal(p.isAlive(), false);
    assert.equal(p.exitCode, -9);

    const q = track(new ctx.Process({ target: exitWith, args: [4] }));
    q.start();
    q.joinSync();
    assert.equal(q.exitCode, 4);
    assert.ok(!activeChildren().includes(q));
  });

  test('exit codes follow CPython: normal end 0, process.exit(n) n, uncaught error 1', async () => {
    const cases = [
      [doNothing, [], 0],
      [exitWith, [], 0],
      [exitWith, [0], 0],
      [exitWith, [8], 8],
      [setExitCode, [3], 3],
      [throwError, ['bad thing'], 1],
      [throwValue, ['ignore this'], 1],
      [throwValue, [[1, 2, 3]], 1],
      [rejectAfterTimer, ['late failure'], 1],
    ];
    const procs = cases.map(([target, args]) => track(new ctx.Process({ target, args, daemon: true })));
    for (const p of procs) p.start();
    for (const p of procs) await join(p);
    assert.deepEqual(
      procs.map((p) => p.exitCode),
      cases.map(([, , code]) => code),
    );
  });

  test('an async target is awaited before the child exits', async () => {
    const out = reports.file();
    const p = track(new ctx.Process({ target: finishAfterUnrefTimer, args: [out] }));
    p.start();
    await join(p);
    assert.equal(p.exitCode, 0);
    assert.ok(existsSync(out), 'the target finished its work before the child ended');
    assert.deepEqual(readReport(out), { finished: true });
  });

  test('the sentinel exists once started and is ready once the process ended (test_sentinel)', async () => {
    const ready = reports.file('ready');
    const p = track(new ctx.Process({ target: waitForever, args: [ready] }));
    assert.throws(() => p.sentinel, ProcessError);
    p.start();
    const sentinel = p.sentinel;
    assert.ok(sentinel instanceof Sentinel);
    assert.equal(p.sentinel, sentinel, 'the same sentinel every time');
    await reportAppears(ready);
    assert.equal(sentinel.isReady(), false);
    p.terminate();
    await join(p);
    assert.equal(sentinel.isReady(), true);
  });

  test('close() refuses a running process, then makes the object unusable (test_close)', async () => {
    const ready = reports.file('ready');
    let p = track(new ctx.Process({ target: waitForever, args: [ready], daemon: true }));
    p.start();
    assert.throws(() => p.close(), {
      name: 'ProcessError',
      code: 'ERR_MP_PROCESS',
      message: /Cannot close a process while it is still running/,
    });
    assert.equal(p.isAlive(), true, 'a refused close leaves the process running');
    await reportAppears(ready);
    p.terminate();
    await join(p);
    assert.equal(p.exitCode, -15);

    p.close();
    const closed = { name: 'ProcessError', message: 'process object is closed' };
    assert.throws(() => p.isAlive(), closed);
    await assert.rejects(p.join(), closed);
    assert.throws(() => p.joinSync(), closed);
    assert.throws(() => p.terminate(), closed);
    assert.throws(() => p.kill(), closed);
    assert.throws(() => p.interrupt(), closed);
    assert.throws(() => p.start(), closed);
    assert.throws(() => p.pid, closed);
    assert.throws(() => p.exitCode, closed);
    assert.throws(() => p.sentinel, closed);
    assert.equal(typeof p.name, 'string', 'the name stays readable');
    assert.match(String(p), /closed/);
    p.close(); // idempotent

    // A closed process object is not kept alive by the library.
    const ref = new WeakRef(p);
    started.splice(started.indexOf(p), 1);
    p = null;
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(ref.deref(), undefined);
  });

  test('close() of a process that never started works; close() after a normal end works', async () => {
    const never = new ctx.Process({ target: doNothing });
    never.close();
    assert.throws(() => never.start(), { message: 'process object is closed' });

    const p = track(new ctx.Process({ target: doNothing }));
    p.start();
    await join(p);
    p.close();
    assert.throws(() => p.isAlive(), ProcessError);
  });

  test('the parent drops its references to the arguments once started (test_lose_target_ref)', async () => {
    let payload = { items: Array.from({ length: 1000 }, (_, i) => i) };
    const ref = new WeakRef(payload);
    const p = track(new ctx.Process({ target: doNothing, args: [payload] }));
    payload = null;
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.notEqual(ref.deref(), undefined, 'a process that has not started keeps its arguments');
    p.start();
    await join(p);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(ref.deref(), undefined);
    assert.equal(p.exitCode, 0);
  });

  test('many processes start, end and can be terminated at once (test_many_processes)', async () => {
    const N = 5;
    const quick = Array.from({ length: N }, () => track(new ctx.Process({ target: doNothing })));
    for (const p of quick) p.start();
    for (const p of quick) await join(p);
    assert.deepEqual(
      quick.map((p) => p.exitCode),
      quick.map(() => 0),
    );

    const sleepers = Array.from({ length: N }, () => track(new ctx.Process({ target: waitForever })));
    for (const p of sleepers) p.start();
    for (const p of sleepers) p.terminate();
    for (const p of sleepers) await join(p);
    assert.deepEqual(
      sleepers.map((p) => p.exitCode),
      sleepers.map(() => -15),
    );
  });

  test('activeChildren() lists a child while it runs and drops it once it ended (test_active_children)', async () => {
    const ready = reports.file('ready');
    const p = track(new ctx.Process({ target: waitForever, args: [ready], daemon: true }));
    assert.ok(!activeChildren().includes(p));
    p.start();
    assert.ok(activeChildren().includes(p));
    await reportAppears(ready);
    p.kill();
    await join(p);
    assert.ok(!activeChildren().includes(p));
  });

  test('a daemon child may not start children of its own', async () => {
    const out = reports.file();
    const p = track(new ctx.Process({ target: tryStartChild, args: [out], daemon: true }));
    p.start();
    await join(p);
    assert.equal(p.exitCode, 0);
    assert.deepEqual(readReport(out), {
      started: false,
      name: 'ProcessError',
      code: 'ERR_MP_PROCESS',
      message: 'daemonic processes are not allowed to have children',
      isProcessError: true,
    });
  });

  test('misuse: start twice, join before start, daemon after start, signals before start', async () => {
    const p = track(new ctx.Process({ target: doNothing }));
    await assert.rejects(p.join(), { name: 'ProcessError', message: 'can only join a started process' });
    assert.throws(() => p.joinSync(), { name: 'ProcessError', message: 'can only join a started process' });
    assert.throws(() => p.terminate(), ProcessError);
    assert.throws(() => p.kill(), ProcessError);
    assert.throws(() => p.interrupt(), ProcessError);
    p.start();
    assert.throws(() => p.start(), { name: 'ProcessError', code: 'ERR_MP_PROCESS', message: 'cannot start a process twice' });
    assert.throws(
      () => {
        p.daemon = true;
      },
      { name: 'ProcessError', message: 'process has already started' },
    );
    assert.equal(p.daemon, false);
    await join(p);
    assert.throws(() => p.start(), { message: 'cannot start a process twice' });
    assert.equal(p.exitCode, 0);
  });

  test('bad arguments throw TypeError before anything starts', async () => {
    assert.throws(() => new ctx.Process({ target: 'doNothing' }), TypeError);
    assert.throws(() => new ctx.Process({ target: 42 }), TypeError);
    assert.throws(() => new ctx.Process({ target: {} }), TypeError);
    assert.throws(() => new ctx.Process({ target: doNothing, args: 'x' }), TypeError);
    assert.throws(() => new ctx.Process({ target: doNothing, name: 7 }), TypeError);
    assert.throws(() => new ctx.Process({ target: doNothing, daemon: 'yes' }), TypeError);
    assert.throws(() => new ctx.Process(null), TypeError);
    const p = new ctx.Process({ target: doNothing });
    assert.throws(() => {
      p.daemon = 1;
    }, TypeError);
    assert.throws(() => {
      p.name = null;
    }, TypeError);
    assert.throws(() => {
      p.authkey = 'secret';
    }, TypeError);
    p.name = 'renamed';
    assert.equal(p.name, 'renamed');
    const q = track(new ctx.Process({ target: waitForever }));
    q.start();
    await assert.rejects(q.join({ timeout: 'soon' }), TypeError);
    assert.throws(() => q.joinSync({ timeout: 'soon' }), TypeError);
    q.kill();
    await join(q);
  });

  test('a process without a target runs nothing and exits 0', async () => {
    const p = track(new ctx.Process());
    p.start();
    await join(p);
    assert.equal(p.exitCode, 0);
  });

  if (PROCESS_METHODS.includes(method)) {
    test('a child killed by a signal from outside reports -N for SIGTERM, SIGKILL, SIGINT, SIGUSR1, SIGHUP', async () => {
      const signals = { SIGTERM: -15, SIGKILL: -9, SIGINT: -2, SIGUSR1: -10, SIGHUP: -1 };
      const readies = Object.keys(signals).map(() => reports.file('ready'));
      const procs = readies.map((ready) => track(new ctx.Process({ target: waitForever, args: [ready], daemon: true })));
      for (const p of procs) p.start();
      await Promise.all(readies.map((ready) => reportAppears(ready)));
      Object.keys(signals).forEach((signal, i) => process.kill(procs[i].pid, signal));
      for (const p of procs) await join(p);
      assert.deepEqual(
        procs.map((p) => p.exitCode),
        Object.values(signals),
      );
    });
  }
});
