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
import { cleanup, forEachMethod, within } from './helpers/methods.mjs';
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
