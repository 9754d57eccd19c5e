// atExit: the one registry of what runs when the process exits (CPython's util.Finalize with an
// exitpriority, run by _exit_function). Each case runs in a fresh process: exit happens once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const EXIT = new URL('../../dist/internal/exit.js', import.meta.url).href;

/** Runs `body` as a module in a new process with `atExit`, `ExitPriority` and `say(text)` (a line on stdout, written synchronously). */
function run(body) {
  const source = `import { writeSync } from 'node:fs';
import { atExit, ExitPriority } from ${JSON.stringify(EXIT)};
const say = (text) => writeSync(1, text + '\\n');
${body}`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8', timeout: 20_000 });
  return { status: child.status, lines: child.stdout.trim().split('\n').filter(Boolean), stderr: child.stderr };
}

test('hooks run at exit, the highest priority first, the latest registered first within a priority', () => {
  const { status, lines, stderr } = run(`
    atExit(() => say('release, first registered'));
    atExit(() => say('temp dir'), ExitPriority.tempDir);
    atExit(() => say('announce'), ExitPriority.announce);
    atExit(() => say('daemons'), ExitPriority.daemons);
    atExit(() => say('release, last registered'));
    say('main done');
  `);
  assert.equal(status, 0, stderr);
  assert.deepEqual(lines, ['main done', 'announce', 'release, last registered', 'release, first registered', 'daemons', 'temp dir']);
});

test('each hook runs once, an unregistered one never, and one registered after the run never either', () => {
  const { status, lines, stderr } = run(`
    atExit(() => {
      say('hook');
      atExit(() => say('registered while exiting'));
    });
    const forget = atExit(() => say('forgotten'));
    forget();
    forget();
    // Once the module has run (an 'exit' during its evaluation reads as an unfinished top-level await).
    setImmediate(() => {
      process.emit('exit', 0);
      say('after the first run');
    });
  `);
  assert.equal(status, 0, stderr);
  assert.deepEqual(lines, ['hook', 'after the first run']);
});

test('a hook that throws does not stop the later ones; its error surfaces as an exit listener error would', () => {
  const { status, lines, stderr } = run(`
    atExit(() => say('later'), -1);
    atExit(() => { throw new Error('hook failed'); });
    atExit(() => say('earlier'), 1);
  `);
  assert.deepEqual(lines, ['earlier', 'later']);
  assert.notEqual(status, 0);
  assert.match(stderr, /hook failed/);
});

test('however many hooks, the process has one exit listener for them', () => {
  const { status, lines, stderr } = run(`
    const before = process.listenerCount('exit');
    for (let i = 0; i < 50; i++) atExit(() => {});
    say(String(process.listenerCount('exit') - before));
  `);
  assert.equal(status, 0, stderr);
  assert.deepEqual(lines, ['1']);
});
