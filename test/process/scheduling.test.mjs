// CPU affinity and nice values (CPython's os.sched_setaffinity / sched_getaffinity / setpriority),
// checked against the kernel's own view in /proc, on every start method: a process child has
// every one of its threads changed, a thread child only its own thread.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Process, ProcessError, getAffinity, setAffinity } from '../../dist/index.js';
import { native } from '../../dist/internal/native.js';
import { applyAffinity } from '../../dist/process/scheduling.js';
import { cleanup, forEachMethod, needsAddon, NO_ADDON, within } from '../helpers/methods.mjs';
import { processThreads, threadCpus, threadNice } from '../helpers/kernel-view.mjs';
import { execFile } from 'node:child_process';
import { nothing, reportAndHold, reportNewThread } from '../fixtures/process/scheduling.mjs';

const CPUS = NO_ADDON ? [0] : getAffinity();
/** A pid no process can have: pids stay below pid_max. */
const NO_SUCH_PID = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
/** Nice values to set: above this process's own, as anyone may (lowering one needs privilege). */
const BASE_NICE = threadNice(process.pid, process.pid);
const [NICE_A, NICE_B, NICE_C] = [3, 5, 7].map((delta) => Math.min(19, BASE_NICE + delta));
const uniform = (threads) => [...new Set(Object.values(threads).map((t) => JSON.stringify(t)))].map((t) => JSON.parse(t));

describe('getAffinity and setAffinity', needsAddon, () => {
  const original = getAffinity();
  after(() => setAffinity(0, original));

  test('getAffinity() is what the kernel shows for the calling thread', () => {
    assert.deepEqual(getAffinity(), threadCpus(process.pid, process.pid));
    assert.deepEqual(getAffinity(0), getAffinity(process.pid));
  });

  test('setAffinity(0, cpus) pins every thread of this process, from a Set too', () => {
    setAffinity(0, new Set([CPUS[0]]));
    assert.deepEqual(uniform(processThreads(process.pid)).map((t) => t.cpus), [[CPUS[0]]]);
    assert.deepEqual(getAffinity(), [CPUS[0]]);
    setAffinity(process.pid, CPUS);
    assert.deepEqual(uniform(processThreads(process.pid)).map((t) => t.cpus), [CPUS]);
  });

  test('a pid that does not exist: code ESRCH', () => {
    assert.throws(() => getAffinity(NO_SUCH_PID), { code: 'ESRCH', syscall: 'sched_getaffinity' });
    assert.throws(() => setAffinity(NO_SUCH_PID, [0]), { code: 'ESRCH', syscall: 'sched_setaffinity' });
  });

  test('a CPU that does not exist, or an empty set: RangeError, nothing changed', () => {
    const count = native().configuredCpus();
    assert.throws(() => setAffinity(0, [0, count]), { name: 'RangeError', message: new RegExp(`CPU ${count} does not exist \\(this machine has CPUs 0-${count - 1}\\)`) });
    assert.throws(() => setAffinity(0, []), { name: 'RangeError', message: /cpus is empty/ });
    assert.throws(() => setAffinity(0, [-1]), RangeError);
    assert.throws(() => setAffinity(0, [0.5]), RangeError);
    assert.throws(() => getAffinity(-1), RangeError);
    assert.deepEqual(uniform(processThreads(process.pid)).map((t) => t.cpus), [CPUS]);
  });

  test('CPUs the kernel will not grant: RangeError naming them, every thread put back', () => {
    // Past the kernel's last CPU: it grants the rest silently (what an offline CPU or one outside
    // the cpuset also gets), or refuses (EINVAL) when nothing is left. validateCpus would stop
    // these earlier, so the kernel path is driven directly.
    const beyond = 4096 + 7;
    assert.throws(
      () => applyAffinity({ id: process.pid, wholeProcess: true, label: 'this process' }, [CPUS[0], beyond]),
      { name: 'RangeError', message: new RegExp(`^CPU ${beyond} is not allowed for this process .*nothing was changed`) },
    );
    assert.throws(() => applyAffinity({ id: process.pid, wholeProcess: true, label: 'this process' }, [beyond]), { name: 'RangeError', message: /not allowed/ });
    assert.deepEqual(uniform(processThreads(process.pid)).map((t) => t.cpus), [CPUS]);
  });

  test('wrong types: TypeError saying what was expected', () => {
    assert.throws(() => setAffinity(0, '0'), { name: 'TypeError', message: /cpus must be an array \(or Set\) of CPU numbers, not the string "0"/ });
    assert.throws(() => setAffinity(0, ['0']), { name: 'TypeError', message: /cpus must hold CPU numbers/ });
    assert.throws(() => setAffinity(0, 0), TypeError);
    assert.throws(() => setAffinity('1', [0]), { name: 'TypeError', message: /pid must be a number/ });
    assert.throws(() => getAffinity('1'), TypeError);
  });
});

describe('without the native addon', { skip: !NO_ADDON && 'runs under --no-addon' }, () => {
  test('every call throws one clear ProcessError naming the reason', () => {
    const expected = { name: 'ProcessError', message: /^CPU affinity and priority need the native addon, which is not available: .*(turned off|Linux only)/ };
    assert.throws(() => getAffinity(), expected);
    assert.throws(() => setAffinity(0, [0]), expected);
    assert.throws(() => new Process({ target: nothing, affinity: [0] }), expected);
    assert.throws(() => new Process({ target: nothing, priority: 5 }), expected);
    const p = new Process({ target: nothing });
    assert.throws(() => p.getAffinity(), expected);
  });
});

forEachMethod((ctx, method) => {
  const started = [];
  after(() => cleanup(started));
  const spawnHeld = (options) => {
    const queue = new ctx.Queue();
    const release = new ctx.Event();
    const p = new ctx.Process({ target: reportAndHold, args: [queue, release], ...options });
    started.push(p);
    return { p, queue, release };
  };
  const finish = async ({ p, queue, release }) => {
    release.set();
    await within(p.join(), 20_000, `join of ${p.name}`);
    queue.close();
    assert.equal(p.exitCode, 0);
  };

  test('Process({ affinity, priority }) is in place before the target runs', needsAddon, async () => {
    const last = CPUS.at(-1);
    const held = spawnHeld({ affinity: [last], priority: NICE_C });
    held.p.start();
    const view = await within(held.queue.get(), 20_000, 'the child report');
    assert.deepEqual(view.cpus, [last]);
    assert.equal(view.nice, NICE_C);
    if (method === 'thread') {
      // Only that thread: the others of this process keep their settings.
      assert.equal(view.pid, process.pid);
      assert.deepEqual(threadCpus(process.pid, process.pid), CPUS);
      assert.equal(threadNice(process.pid, process.pid), BASE_NICE);
    } else {
      // Every thread of the child, a forkserver spare's (booted before) included.
      assert.ok(Object.keys(view.threads).length > 1);
      assert.deepEqual(uniform(view.threads), [{ cpus: [last], nice: NICE_C }]);
    }
    await finish(held);
  });

  test('p.setAffinity() and p.setPriority() on a running child, read back from /proc', needsAddon, async () => {
    const held = spawnHeld({});
    held.p.start();
    const { pid, tid } = await within(held.queue.get(), 20_000, 'the child report');
    const kernel = () => (method === 'thread' ? [{ cpus: threadCpus(pid, tid), nice: threadNice(pid, tid) }] : uniform(processThreads(pid)));
    assert.deepEqual(held.p.getAffinity(), CPUS);
    for (const cpus of [[CPUS[0]], [CPUS.at(-1)], CPUS]) {
      held.p.setAffinity(cpus);
      assert.deepEqual(kernel().map((t) => t.cpus), [cpus]);
      assert.deepEqual(held.p.getAffinity(), cpus);
    }
    for (const nice of [NICE_A, NICE_B]) {
      held.p.setPriority(nice);
      assert.deepEqual(kernel().map((t) => t.nice), [nice]);
      assert.equal(held.p.getPriority(), nice);
    }
    if (method === 'thread') assert.equal(threadNice(process.pid, process.pid), BASE_NICE);
    await finish(held);
  });

  test('threads the child starts later inherit its affinity', needsAddon, async () => {
    const queue = new ctx.Queue();
    const p = new ctx.Process({ target: reportNewThread, args: [queue], affinity: [CPUS[0]] });
    started.push(p);
    p.start();
    const { before, newThread } = await within(queue.get(), 20_000, 'the child report');
    await within(p.join(), 20_000, 'join');
    queue.close();
    assert.deepEqual(before, [CPUS[0]]);
    assert.equal(newThread, String(CPUS[0]));
  });

  test('misuse: not started, ended, wrong values', needsAddon, async () => {
    const p = new ctx.Process({ target: nothing });
    started.push(p);
    assert.throws(() => p.getAffinity(), { name: 'ProcessError', message: /cannot get the affinity of .*: it has not been started/ });
    assert.throws(() => p.setPriority(1), { name: 'ProcessError', message: /cannot set the priority of .*: it has not been started/ });
    assert.throws(() => new ctx.Process({ target: nothing, affinity: [] }), { name: 'RangeError', message: /affinity is empty/ });
    assert.throws(() => new ctx.Process({ target: nothing, affinity: [native().configuredCpus()] }), { name: 'RangeError', message: /does not exist/ });
    assert.throws(() => new ctx.Process({ target: nothing, affinity: 1 }), { name: 'TypeError', message: /affinity must be an array/ });
    assert.throws(() => new ctx.Process({ target: nothing, priority: 20 }), { name: 'RangeError', message: /priority must be an integer from -20 \(first\) to 19 \(last\), not 20/ });
    assert.throws(() => new ctx.Process({ target: nothing, priority: '5' }), { name: 'TypeError', message: /priority must be a nice value/ });
    p.start();
    assert.throws(() => p.setAffinity([]), RangeError);
    assert.throws(() => p.setPriority(1.5), RangeError);
    await within(p.join(), 20_000, 'join');
    assert.throws(() => p.getPriority(), { name: 'ProcessError', message: /cannot get the priority of .*: it has ended \(exit code 0\)/ });
    assert.throws(() => p.setAffinity([0]), { name: 'ProcessError', message: /it has ended/ });
  });
});

describe('lowering a nice value without the privilege', needsAddon, () => {
  const program = fileURLToPath(new URL('../fixtures/process/programs/unprivileged-priority.mjs', import.meta.url));
  for (const method of NO_ADDON ? [] : ['spawn', 'forkserver', 'thread']) {
    test(`${method}: start() and p.setPriority() throw the OS error with its code`, async () => {
      // As root the program runs as `nobody`, which has no CAP_SYS_NICE (started so rather than
      // switching inside: a process that changes its uid cannot be read through /proc by its children).
      const asNobody = process.getuid() === 0 ? { uid: 65534, gid: 65534 } : {};
      const { stdout } = await new Promise((resolve, reject) => {
        execFile(process.execPath, [program, method], { ...asNobody, timeout: 60_000 }, (error, out, err) =>
          error ? reject(Object.assign(error, { message: `${error.message}\n${err}` })) : resolve({ stdout: out }),
        );
      });
      const seen = JSON.parse(stdout.trim().split('\n').at(-1));
      assert.ok(['EACCES', 'EPERM'].includes(seen.start.code), JSON.stringify(seen.start));
      assert.match(seen.start.message, /^setpriority (EACCES|EPERM) for .*needs CAP_SYS_NICE/);
      assert.equal(seen.niceInChild, 10);
      assert.ok(['EACCES', 'EPERM'].includes(seen.lowered.code), JSON.stringify(seen.lowered));
      assert.equal(seen.after, 10);
      assert.equal(seen.exitCode, 0);
    });
  }
});
