// The package's logger: CPython's multiprocessing logger, with `[LEVEL/ProcessName] message`
// records on stderr and children that inherit the parent's level.
// Translated from CPython's _TestLogging (test_enable_logging, test_level).
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  CRITICAL,
  DEBUG,
  ERROR,
  INFO,
  Logger,
  SUBDEBUG,
  SUBWARNING,
  WARNING,
  getLogger,
  logToStderr,
} from '../dist/index.js';
import { cleanup, forEachMethod, needsAddon, within } from './helpers/methods.mjs';
import { runScript } from './helpers/run-script.mjs';
import { readReport, reportDir } from './fixtures/process/observe.mjs';
import { reportLogLevel } from './fixtures/process/tasks.mjs';

const reports = reportDir('mp-logging-');
after(() => reports.remove());

const started = [];
afterEach(() => cleanup(started.splice(0)));

test('level constants have CPython values', () => {
  assert.deepEqual(
    { SUBDEBUG, DEBUG, INFO, SUBWARNING, WARNING, ERROR, CRITICAL },
    { SUBDEBUG: 5, DEBUG: 10, INFO: 20, SUBWARNING: 25, WARNING: 30, ERROR: 40, CRITICAL: 50 },
  );
});

test('getLogger() is one logger with the CPython methods; an unset level behaves as WARNING (test_enable_logging)', () => {
  const logger = getLogger();
  assert.ok(logger instanceof Logger);
  assert.equal(getLogger(), logger);
  for (const method of ['debug', 'info', 'warning', 'error', 'critical', 'setLevel', 'getEffectiveLevel']) {
    assert.equal(typeof logger[method], 'function', method);
  }
  assert.equal(logger.getEffectiveLevel(), WARNING);
  logger.setLevel(SUBWARNING);
  assert.equal(logger.getEffectiveLevel(), SUBWARNING);
  logger.debug('this will not be printed');
  logger.info('nor will this');
  logger.setLevel('DEBUG');
  assert.equal(logger.getEffectiveLevel(), DEBUG);
  logger.setLevel(0);
  assert.equal(logger.getEffectiveLevel(), WARNING);
});

test('bad levels are refused: unknown names and negative or fractional numbers', () => {
  const logger = getLogger();
  assert.throws(() => logger.setLevel('LOUD'), RangeError);
  assert.throws(() => logger.setLevel(-1), RangeError);
  assert.throws(() => logger.setLevel(2.5), RangeError);
  assert.throws(() => logToStderr('LOUD'), RangeError);
  assert.equal(logger.getEffectiveLevel(), WARNING, 'a refused level changes nothing');
});

forEachMethod((ctx) => {
  test('a child inherits the level set in the parent, custom levels included (test_level)', async () => {
    const logger = getLogger();
    try {
      const levels = [];
      for (const level of [32, 0, DEBUG]) {
        logger.setLevel(level);
        const out = reports.file();
        const p = new ctx.Process({ target: reportLogLevel, args: [out] });
        started.push(p);
        p.start();
        await within(p.join(), 15_000, `join of ${p.name}`);
        assert.equal(p.exitCode, 0);
        levels.push(readReport(out).level);
        p.close();
      }
      // Level 0 is "not set": the child's logger then behaves as WARNING, as the parent's does.
      assert.deepEqual(levels, [32, WARNING, DEBUG]);
    } finally {
      logger.setLevel(0);
    }
  });

  test('logToStderr(INFO): the child prints [INFO/Process-1] records on stderr, below INFO nothing', async () => {
    const program = fileURLToPath(new URL('./fixtures/process/programs/logging-child.mjs', import.meta.url));
    const { code, stdout, stderr } = await runScript(program, { args: [ctx.getStartMethod(), String(INFO)], timeout: 20_000 });
    assert.equal(code, 0, stderr);
    const out = stdout.trim().split('\n');
    assert.ok(out.includes('parent level 20'), stdout);
    assert.ok(out.includes('child level 20'), 'the child inherited the level');
    assert.ok(out.includes('child exit code 0'), stdout);

    const lines = stderr.trim().split('\n');
    const at = (line) => {
      const index = lines.indexOf(line);
      assert.ok(index >= 0, `stderr has ${JSON.stringify(line)}:\n${stderr}`);
      return index;
    };
    const calling = at('[INFO/Process-1] child process calling self.run()');
    const hello = at('[INFO/Process-1] hello from Process-1');
    at('[WARNING/Process-1] careful in Process-1');
    const shuttingDown = at('[INFO/Process-1] process shutting down');
    const exiting = at('[INFO/Process-1] process exiting with exitcode 0');
    assert.ok(calling < hello && hello < shuttingDown && shuttingDown < exiting, 'the async target ended before the child shut down');
    assert.doesNotMatch(stderr, /a debug record/, 'records below the level are not printed');
    for (const line of lines) assert.match(line, /^\[(INFO|WARNING)\/(Process-1|MainProcess)\] /);
  });

  test('logToStderr(ERROR): neither parent nor child prints records below ERROR', async () => {
    const program = fileURLToPath(new URL('./fixtures/process/programs/logging-child.mjs', import.meta.url));
    const { code, stdout, stderr } = await runScript(program, {
      args: [ctx.getStartMethod(), String(ERROR)],
      timeout: 20_000,
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /child level 40/);
    assert.equal(stderr, '', 'WARNING and INFO records stay below ERROR');
  });
});

// NODE_DEBUG=multiprocessing (Node's util.debuglog convention) turns the debug log on in every
// process and thread of a program, with no code: `MULTIPROCESSING <pid>: [LEVEL/Name] message`.
// The programs start spawn children (and the resource tracker): they need the addon.
const debugProgram = fileURLToPath(new URL('./fixtures/process/programs/debug-log.mjs', import.meta.url));

function runDebugProgram(nodeDebug) {
  const env = { NODE_DEBUG: nodeDebug };
  if (nodeDebug === undefined) delete env.NODE_DEBUG;
  return runScript(debugProgram, { env: nodeDebug === undefined ? {} : env, timeout: 60_000 }).then((result) => {
    assert.equal(result.code, 0, result.stderr);
    const [, ...pids] = /^pids (\d+) (\d+) (\d+)$/m.exec(result.stdout) ?? [];
    assert.equal(pids.length, 3, result.stdout);
    const [parent, child, worker] = pids;
    return { ...result, parent, child, worker, lines: result.stderr.split('\n').filter(Boolean) };
  });
}

test('NODE_DEBUG=multiprocessing: every process and thread prints its DEBUG records and up, prefixed as debuglog does', needsAddon, async () => {
  const { lines, stderr, parent, child, worker } = await runDebugProgram('multiprocessing');
  const has = (line) => assert.ok(lines.includes(line), `stderr has ${JSON.stringify(line)}:\n${stderr}`);
  // The parent: process start, exit and join; the resource tracker; the pool and its workers.
  assert.ok(lines.some((l) => new RegExp(`^MULTIPROCESSING ${parent}: \\[DEBUG/MainProcess\\] started resource tracker \\(pid \\d+\\)$`).test(l)), stderr);
  has(`MULTIPROCESSING ${parent}: [DEBUG/MainProcess] started SpawnProcess-1 (pid ${child}, spawn)`);
  has(`MULTIPROCESSING ${parent}: [DEBUG/MainProcess] process SpawnProcess-1 (pid ${child}) ended with exitcode 0`);
  has(`MULTIPROCESSING ${parent}: [DEBUG/MainProcess] joined SpawnProcess-1 (exitcode 0)`);
  has(`MULTIPROCESSING ${parent}: [DEBUG/MainProcess] added worker SpawnPoolWorker-1`);
  has(`MULTIPROCESSING ${parent}: [DEBUG/MainProcess] closing pool`);
  has(`MULTIPROCESSING ${parent}: [DEBUG/MainProcess] joining pool`);
  has(`MULTIPROCESSING ${parent}: [DEBUG/MainProcess] cleaning up worker SpawnPoolWorker-1 (exit code 0)`);
  has(`MULTIPROCESSING ${parent}: [INFO/MainProcess] process shutting down`);
  // A spawn child, a thread child (same pid) and a pool worker, none of which set up logging.
  has(`MULTIPROCESSING ${child}: [INFO/SpawnProcess-1] child process calling self.run()`);
  has(`MULTIPROCESSING ${child}: [DEBUG/SpawnProcess-1] a debug record from SpawnProcess-1`);
  has(`MULTIPROCESSING ${child}: [INFO/SpawnProcess-1] process exiting with exitcode 0`);
  has(`MULTIPROCESSING ${parent}: [DEBUG/ThreadProcess-2] a debug record from ThreadProcess-2`);
  has(`MULTIPROCESSING ${worker}: [DEBUG/SpawnPoolWorker-1] worker exiting after 3 tasks`);
  assert.ok(!stderr.includes('a subdebug record'), 'SUBDEBUG needs multiprocessing_subdebug');
  for (const line of lines) assert.match(line, /^MULTIPROCESSING \d+: \[(DEBUG|INFO|WARNING)\/[\w-]+\] /);
});

test('NODE_DEBUG=multiprocessing* adds SUBDEBUG; other sections, or none, leave the program silent', needsAddon, async () => {
  const all = await runDebugProgram('net,multiprocessing*');
  assert.ok(all.lines.includes(`MULTIPROCESSING ${all.parent}: [SUBDEBUG/MainProcess] a subdebug record`), all.stderr);
  for (const nodeDebug of [undefined, 'net']) {
    const { stderr } = await runDebugProgram(nodeDebug);
    assert.doesNotMatch(stderr, /MULTIPROCESSING|\[(SUBDEBUG|DEBUG|INFO)\//, `NODE_DEBUG=${nodeDebug}`);
  }
});

test('with logToStderr() too, each record is printed once, by the debug log', needsAddon, async () => {
  const program = fileURLToPath(new URL('./fixtures/process/programs/logging-child.mjs', import.meta.url));
  const { code, stderr } = await runScript(program, { args: ['spawn', String(INFO)], env: { NODE_DEBUG: 'multiprocessing' }, timeout: 20_000 });
  assert.equal(code, 0, stderr);
  const hello = stderr.split('\n').filter((line) => line.includes('hello from Process-1'));
  assert.equal(hello.length, 1, stderr);
  assert.match(hello[0], /^MULTIPROCESSING \d+: \[INFO\/Process-1\] hello from Process-1$/);
});
