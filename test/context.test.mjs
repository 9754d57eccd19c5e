// Contexts and the default start method: getContext, setStartMethod, getStartMethod,
// getAllStartMethods, the context Process classes, and the errors for bad methods.
// Translated from CPython's TestStartMethod (test_context, test_set_get,
// test_get_all_start_methods, test_context_check_module_types, test_nested_startmethod).
// The tests in this file run in order: the first ones check the default before anything fixes it.
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runScript } from './helpers/run-script.mjs';
import * as mp from '../dist/index.js';
import {
  BaseContext,
  ConcreteContext,
  ForkServerProcess,
  Process,
  ProcessError,
  SpawnProcess,
  ThreadProcess,
  getAllStartMethods,
  getContext,
  getStartMethod,
  setForkserverPreload,
  setStartMethod,
} from '../dist/index.js';
import { NO_ADDON, cleanup, forEachMethod, needsAddon, within } from './helpers/methods.mjs';
import { readReport, reportDir } from './fixtures/process/observe.mjs';
import { reportStartMethod, startRootProcessChild } from './fixtures/process/tasks.mjs';

const reports = reportDir('mp-context-');
after(() => reports.remove());

const started = [];
afterEach(() => cleanup(started.splice(0)));

const join = (p, ms = 15_000) => within(p.join(), ms, `join of ${p.name}`);

// Without the native addon only threads can be started: 'thread' is then the default and the only
// method listed (as CPython lists only what a platform supports). Every context still exists.
const DEFAULT_METHOD = NO_ADDON ? 'thread' : 'spawn';

async function childStartMethod(ProcessClass) {
  const out = reports.file();
  const p = new ProcessClass({ target: reportStartMethod, args: [out] });
  started.push(p);
  p.start();
  await join(p);
  assert.equal(p.exitCode, 0);
  return readReport(out);
}

test('getAllStartMethods() lists spawn (the default, first), forkserver and thread; only thread without the addon', () => {
  assert.deepEqual(getAllStartMethods(), NO_ADDON ? ['thread'] : ['spawn', 'forkserver', 'thread']);
});

test('the default start method is unset until used; reading it fixes it to spawn (thread without the addon)', () => {
  assert.equal(getStartMethod({ allowNone: true }), null);
  assert.equal(getStartMethod(), DEFAULT_METHOD);
  assert.equal(getStartMethod({ allowNone: true }), DEFAULT_METHOD);
});

test("setStartMethod() a second time without force throws 'context has already been set'", () => {
  assert.throws(() => setStartMethod('thread'), (error) => {
    assert.ok(error instanceof ProcessError);
    assert.equal(error.code, 'ERR_MP_PROCESS');
    assert.equal(error.message, 'context has already been set');
    return true;
  });
  assert.equal(getStartMethod(), DEFAULT_METHOD, 'the refused call changed nothing');
  const other = DEFAULT_METHOD === 'thread' ? 'spawn' : 'thread';
  setStartMethod(other, { force: true });
  assert.equal(getStartMethod(), other, 'with force, the default changes');
  setStartMethod(null, { force: true });
  assert.equal(getStartMethod({ allowNone: true }), null);
  setStartMethod(DEFAULT_METHOD);
  assert.equal(getStartMethod(), DEFAULT_METHOD);
});

test('an unknown start method is a RangeError; a non-string is a TypeError', () => {
  for (const call of [() => getContext('posix'), () => setStartMethod('posix', { force: true })]) {
    assert.throws(call, (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /cannot find context for 'posix'/);
      assert.match(error.message, /spawn, forkserver, thread/);
      return true;
    });
  }
  assert.throws(() => getContext(42), TypeError);
  assert.throws(() => setStartMethod({}, { force: true }), TypeError);
  assert.equal(getStartMethod(), DEFAULT_METHOD);
});

test("'fork' is a RangeError explaining that V8 cannot fork and naming the alternatives", () => {
  for (const call of [() => getContext('fork'), () => setStartMethod('fork', { force: true })]) {
    assert.throws(call, (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /V8 cannot be forked/);
      assert.match(error.message, /'forkserver'/);
      assert.match(error.message, /'spawn'/);
      assert.match(error.message, /'thread'/);
      return true;
    });
  }
  assert.equal(getStartMethod(), DEFAULT_METHOD);
});

test('getContext(method) is one context per method, whose Process class is named after it (test_context)', () => {
  const classes = { spawn: SpawnProcess, forkserver: ForkServerProcess, thread: ThreadProcess };
  for (const method of ['spawn', 'forkserver', 'thread']) {
    const ctx = getContext(method);
    assert.ok(ctx instanceof ConcreteContext);
    assert.ok(ctx instanceof BaseContext);
    assert.equal(getContext(method), ctx);
    assert.equal(ctx.getStartMethod(), method);
    assert.equal(ctx.getContext(), ctx, 'a context without a method argument is itself');
    assert.equal(ctx.getContext('thread'), getContext('thread'));
    assert.equal(ctx.Process, classes[method]);
    assert.ok(ctx.Process.name.toLowerCase().startsWith(method));
    assert.ok(new ctx.Process() instanceof Process);
    assert.throws(() => ctx.setStartMethod('spawn'), ProcessError);
    assert.throws(() => ctx.setStartMethod(null), ProcessError);
  }
  assert.equal(getContext(), getContext(DEFAULT_METHOD), 'no method: the default context');
});

test('a context offers the package-root utilities', () => {
  const ctx = getContext('thread');
  assert.equal(ctx.cpuCount(), mp.cpuCount());
  assert.equal(ctx.currentProcess(), mp.currentProcess());
  assert.equal(ctx.parentProcess(), null);
  assert.deepEqual(ctx.activeChildren(), mp.activeChildren());
  assert.equal(ctx.getLogger(), mp.getLogger());
  assert.deepEqual(ctx.getAllStartMethods(), getAllStartMethods());
  assert.equal(ctx.ProcessError, ProcessError);
  assert.equal(ctx.TimeoutError, mp.TimeoutError);
  assert.equal(ctx.AuthenticationError, mp.AuthenticationError);
  assert.equal(ctx.BufferTooShortError, mp.BufferTooShortError);
});

test('setForkserverPreload() takes a list of strings (test_context_check_module_types)', () => {
  assert.throws(() => setForkserverPreload([1, 2, 3]), { name: 'TypeError', message: 'module_names must be a list of strings' });
  assert.throws(() => setForkserverPreload('node:path'), TypeError);
  assert.throws(() => getContext('forkserver').setForkserverPreload([null]), TypeError);
});

forEachMethod((ctx, method) => {
  test('a child started from a context sees that context as its default (check_context)', async () => {
    const seen = await childStartMethod(ctx.Process);
    assert.equal(seen.startMethod, method);
  });

  test('after setStartMethod(method), the package-root Process starts on it (test_set_get)', async () => {
    setStartMethod(method, { force: true });
    try {
      assert.equal(getStartMethod(), method);
      assert.equal(getContext().getStartMethod(), method);
      const seen = await childStartMethod(Process);
      assert.equal(seen.startMethod, method);
      assert.match(seen.name, /^Process-\d+$/);
    } finally {
      setStartMethod(DEFAULT_METHOD, { force: true });
    }
  });

  test("a child's own package-root Process uses the child's start method (test_nested_startmethod)", async () => {
    const out = reports.file();
    const p = new ctx.Process({ target: startRootProcessChild, args: [out] });
    started.push(p);
    p.start();
    await join(p);
    assert.equal(p.exitCode, 0);
    const seen = readReport(out);
    assert.equal(seen.grandchildExitCode, 0);
    assert.equal(seen.grandchild.startMethod, method);
  });
});

test('forkserver spares import the preload modules as children, before the start message', needsAddon, async () => {
  const program = fileURLToPath(new URL('./fixtures/process/programs/forkserver-preload.mjs', import.meta.url));
  const { code, stdout, stderr } = await runScript(program);
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split('\n');
  const target = lines.find((line) => line.startsWith('target '));
  assert.ok(target, stdout);
  const childPid = /pid=(\d+)/.exec(target)[1];
  // The child imported the module once, while it was a spare, and not as the main module.
  assert.deepEqual(lines.filter((line) => line.startsWith(`preload pid=${childPid} `)), [`preload pid=${childPid} isMain=false`]);
  assert.match(target, /name=ForkServerProcess-1$/);
  assert.equal(lines.at(-1), 'exit 0');
  // A preload that cannot be imported is skipped with a warning, as CPython's forkserver does.
  assert.match(stderr, /forkserver preload of 'a-module-that-does-not-exist' skipped/);
});
