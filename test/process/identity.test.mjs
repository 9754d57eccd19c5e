// Who a process is: currentProcess(), parentProcess(), names (CPython's Process-N and
// Process-N:M numbering), the daemon flag's default, the inherited authkey, cpuCount().
// Translated from CPython's _TestProcess (test_current, test_daemon_argument,
// test_parent_process_attributes, test_recursion, test_cpu_count).
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ForkServerProcess,
  Process,
  SpawnProcess,
  ThreadProcess,
  cpuCount,
  currentProcess,
  parentProcess,
} from '../../dist/index.js';
import { cleanup, forEachMethod, within } from '../helpers/methods.mjs';
import { readReport, reportDir } from '../fixtures/process/observe.mjs';
import { describeSelf, doNothing, recurse, startRootProcessChild } from '../fixtures/process/tasks.mjs';
import { MyProc } from '../fixtures/process/subclasses.mjs';

const reports = reportDir();
after(() => reports.remove());

const started = [];
afterEach(() => cleanup(started.splice(0)));

const join = (p, ms = 20_000) => within(p.join(), ms, `join of ${p.name}`);

function numberOf(name, prefix) {
  const match = new RegExp(`^${prefix}-(\\d+)$`).exec(name);
  assert.ok(match, `${name} is named ${prefix}-N`);
  return Number(match[1]);
}

test('currentProcess() in the main process is MainProcess, alive, not a daemon (test_current)', () => {
  const me = currentProcess();
  assert.equal(me.name, 'MainProcess');
  assert.equal(me.isAlive(), true);
  assert.equal(me.daemon, false);
  assert.ok(Buffer.isBuffer(me.authkey));
  assert.equal(me.authkey.length, 32);
  assert.equal(me.pid, process.pid);
  assert.equal(me.ident, process.pid);
  assert.equal(me.exitCode, null);
  assert.equal(currentProcess(), me, 'the same object every time');
  assert.ok(me instanceof Process);
});

test('the current process cannot be started, joined or signalled through its object', async () => {
  const me = currentProcess();
  assert.throws(() => me.start(), { name: 'ProcessError' });
  await assert.rejects(me.join(), { name: 'ProcessError', message: 'can only join a child process' });
  assert.throws(() => me.terminate(), { name: 'ProcessError' });
});

test('parentProcess() is null in the main process', () => {
  assert.equal(parentProcess(), null);
});

test('cpuCount() is an integer of at least 1 (test_cpu_count)', () => {
  const n = cpuCount();
  assert.ok(Number.isInteger(n));
  assert.ok(n >= 1);
});

test('a new process takes its daemon flag from the creating process unless given (test_daemon_argument)', () => {
  assert.equal(new Process({ target: doNothing }).daemon, currentProcess().daemon);
  assert.equal(new Process({ target: doNothing, daemon: true }).daemon, true);
  assert.equal(new Process({ target: doNothing, daemon: false }).daemon, false);
});

test('names count up as Process-N, SpawnProcess-N, ForkServerProcess-N, ThreadProcess-N, MyProc-N', () => {
  const first = numberOf(new Process().name, 'Process');
  assert.equal(numberOf(new Process().name, 'Process'), first + 1);
  assert.equal(numberOf(new SpawnProcess().name, 'SpawnProcess'), first + 2);
  assert.equal(numberOf(new ForkServerProcess().name, 'ForkServerProcess'), first + 3);
  assert.equal(numberOf(new ThreadProcess().name, 'ThreadProcess'), first + 4);
  assert.equal(numberOf(new MyProc(reports.file(), null).name, 'MyProc'), first + 5);
  assert.equal(new Process({ name: 'worker-1' }).name, 'worker-1');
  // A name given explicitly still uses up a number, as CPython's counter does.
  assert.equal(numberOf(new Process().name, 'Process'), first + 7);
});

forEachMethod((ctx, method) => {
  const isThread = method === 'thread';

  test('in a child, currentProcess() and parentProcess() describe the child and its parent', async () => {
    const out = reports.file();
    const p = new ctx.Process({ target: describeSelf, args: [out, 'a', 1] });
    started.push(p);
    const className = { spawn: 'SpawnProcess', forkserver: 'ForkServerProcess', thread: 'ThreadProcess' }[method];
    numberOf(p.name, className);
    p.start();
    await join(p);
    assert.equal(p.exitCode, 0);
    const seen = readReport(out);
    assert.equal(seen.name, p.name);
    assert.deepEqual(seen.args, ['a', 1]);
    assert.equal(seen.daemon, false);
    assert.equal(seen.alive, true, "the child's own process object is alive");
    assert.equal(seen.exitCode, null);
    assert.equal(seen.authkey, currentProcess().authkey.toString('hex'), 'the authkey is inherited');
    assert.equal(seen.pid, p.pid);
    if (isThread) assert.equal(seen.osPid, process.pid);
    else assert.equal(seen.osPid, p.pid);
    assert.deepEqual(seen.parent, { name: 'MainProcess', pid: process.pid, alive: true });
    assert.equal(seen.startMethod, method, 'the child uses the start method it was started with');
    assert.equal(seen.newChildDaemon, false);
  });

  test("a daemon child's own new processes default to daemon, and an explicit authkey is inherited", async () => {
    const out = reports.file();
    const p = new ctx.Process({ target: describeSelf, args: [out], daemon: true, name: 'keyed' });
    started.push(p);
    p.authkey = Buffer.alloc(16, 7);
    assert.deepEqual(p.authkey, Buffer.alloc(16, 7));
    p.start();
    await join(p);
    const seen = readReport(out);
    assert.equal(seen.daemon, true);
    assert.equal(seen.newChildDaemon, true);
    assert.equal(seen.name, 'keyed');
    assert.equal(seen.authkey, '07'.repeat(16));
  });

  test('children of children are named Parent-N:M, and the tree runs in order (test_recursion)', async () => {
    const out = reports.file('tree');
    await recurse(out, [], method);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((line) => line.id),
      [[], [0], [0, 0], [0, 1], [1], [1, 0], [1, 1]],
    );
    const names = Object.fromEntries(lines.map((line) => [line.id.join('.'), line.name]));
    assert.equal(names[''], 'MainProcess');
    const className = { spawn: 'SpawnProcess', forkserver: 'ForkServerProcess', thread: 'ThreadProcess' }[method];
    const a = numberOf(names['0'], className);
    assert.equal(numberOf(names['1'], className), a + 1);
    assert.equal(names['0.0'], `${className}-${a}:1`);
    assert.equal(names['0.1'], `${className}-${a}:2`);
    assert.equal(names['1.0'], `${className}-${a + 1}:1`);
    assert.equal(names['1.1'], `${className}-${a + 1}:2`);
  });

  test("a child's package-root Process is named Process-N:1 and uses the child's start method", async () => {
    const out = reports.file();
    const p = new ctx.Process({ target: startRootProcessChild, args: [out] });
    started.push(p);
    p.start();
    await join(p);
    assert.equal(p.exitCode, 0);
    const seen = readReport(out);
    assert.equal(seen.childMethod, method);
    assert.equal(seen.grandchildName, `${p.name}:1`.replace(/^\w+-/, 'Process-'));
    assert.equal(seen.grandchildExitCode, 0);
    assert.deepEqual(seen.grandchild, { name: seen.grandchildName, startMethod: method });
  });
});
