// Behaviour that shows only at the level of a whole program: what happens to children when the
// main program ends or is killed, what a failing child prints, and the main-module guard.
// Translated from CPython's TestNoForkBomb, _TestSubclassingProcess.test_stderr_flush and
// test_sys_exit (the printed part), and its process-exit rules (_exit_function).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROCESS_METHODS, forEachMethod, within } from '../helpers/methods.mjs';
import { runScript } from '../helpers/run-script.mjs';
import { lineReader, reportDir, running, untilGone } from '../fixtures/process/observe.mjs';

const programs = fileURLToPath(new URL('../fixtures/process/programs/', import.meta.url));
const program = (name) => `${programs}${name}`;

const reports = reportDir();
after(() => reports.remove());

/** Pids this file must see gone before it ends, whatever happens in the tests. */
const watched = new Set();
after(async () => {
  for (const pid of watched) {
    if (!(await untilGone(pid, 5000))) process.kill(pid, 'SIGKILL');
  }
});

forEachMethod((ctx, method) => {
  const className = { spawn: 'SpawnProcess', forkserver: 'ForkServerProcess', thread: 'ThreadProcess' }[method];

  test('non-daemon children are joined when the main program ends', async () => {
    const { code, stdout, stderr } = await runScript(program('joined-at-exit.mjs'), { args: [method], timeout: 20_000 });
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split('\n');
    assert.ok(lines.includes('main body done'), stdout);
    assert.ok(lines.includes('child says hello'), "the child's output appears");
    assert.equal(lines.at(-1), 'main exits, child exit code 0', 'the program exits after its child ended');
  });

  test('daemon children are terminated when the main program exits', async () => {
    const ready = reports.file('ready');
    const { code, stdout, stderr } = await runScript(program('daemon-at-exit.mjs'), { args: [method, ready], timeout: 20_000 });
    assert.equal(code, 0, stderr);
    const match = /daemon pid (\d+)/.exec(stdout);
    assert.ok(match, stdout);
    assert.match(stdout, /main body done/);
    const pid = Number(match[1]);
    if (method === 'thread') return; // the daemon was a thread of the program, which has exited
    watched.add(pid);
    assert.equal(await untilGone(pid, 5000), true, `daemon ${pid} still runs after its parent exited`);
  });

  test('a failing child prints "Process <name>:" and its error to stderr; exit codes 1, 1, 8', async () => {
    const { code, stdout, stderr } = await runScript(program('child-failures.mjs'), { args: [method], timeout: 20_000 });
    assert.equal(code, 0, stderr);
    assert.deepEqual(stdout.trim().split('\n'), [
      `${className}-1 exit code 1`,
      `${className}-2 exit code 1`,
      `${className}-3 exit code 8`,
    ]);
    // The whole error was printed, with the line that threw (test_stderr_flush).
    assert.match(stderr, new RegExp(`^Process ${className}-1:\\nTypeError: division by zero # MARKER\\n\\s+at throwError \\(file://.*/tasks\\.mjs:\\d+:\\d+\\)`, 'm'));
    // A thrown non-Error value is printed as it is (test_sys_exit's reasons).
    assert.match(stderr, new RegExp(`^Process ${className}-2:\\n'ignore this'$`, 'm'));
    assert.doesNotMatch(stderr, new RegExp(`Process ${className}-3:`), 'process.exit(8) is not an error');
  });

  test('a module that starts a process at top level without isMain() fails in the child, no fork bomb', async () => {
    const { code, stdout, stderr } = await runScript(program('no-main-guard.mjs'), {
      env: { MP_FIXTURE_METHOD: method },
      timeout: 20_000,
    });
    assert.equal(code, 1, 'the program exits with its failed child\'s exit code');
    assert.equal(stdout, '', 'the target never ran');
    assert.match(stderr, new RegExp(`^Process ${className}-1:$`, 'm'));
    assert.match(stderr, /ProcessError/);
    assert.match(stderr, /An attempt has been made to start a new process before the\s+current process has finished its bootstrapping phase\./);
    assert.match(stderr, /isMain\(import\.meta\)/, 'the message names the fix');
    assert.equal(stderr.match(/bootstrapping phase/g).length, 1, 'exactly one child tried, and failed');
  });
});

/** Starts a program, returns it with a reader of its stdout lines. */
function startProgram(file, args) {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, lines: lineReader(child.stdout), exited, stderr: () => stderr };
}

forEachMethod((ctx, method) => {
  for (const mode of ['wait', 'spin']) {
    const how = mode === 'spin' ? 'spinning in a synchronous loop' : 'waiting on its event loop';
    test(`SIGKILLing the parent leaves no child behind within 5 s (child ${how})`, async () => {
      const ready = reports.file('ready');
      const prog = startProgram(program('killed-parent.mjs'), [method, mode, ready]);
      watched.add(prog.child.pid);
      let childPid;
      try {
        const line = await within(prog.lines.next(/^child pid \d+$/), 15_000, `the child of ${method} to run`);
        childPid = Number(line.split(' ')[2]);
        watched.add(childPid);
        assert.equal(running(childPid), true);
      } finally {
        prog.child.kill('SIGKILL');
      }
      assert.deepEqual(await within(prog.exited, 5000, 'the parent to die'), { code: null, signal: 'SIGKILL' });
      assert.equal(await untilGone(childPid, 5000), true, `child ${childPid} outlived its SIGKILLed parent`);
    });
  }
}, PROCESS_METHODS);
