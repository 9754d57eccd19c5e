// Runs the whole suite against the built package, then fails the run if anything leaked:
// child processes still alive or shared-memory segments left in /dev/shm.
//
// `--no-addon` runs it as on a platform without the native addon (MULTIPROCESSING_TS_NATIVE=0):
// the thread context only. Tests that need the addon skip themselves (`needsAddon` and
// `forEachMethod` in test/helpers/methods.mjs), so the same files run in both passes.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' || entry.name === 'helpers' ? [] : testFiles(path);
    return entry.name.endsWith('.test.mjs') ? [path] : [];
  });
}

function shmEntries() {
  return existsSync('/dev/shm') ? readdirSync('/dev/shm').filter((name) => !name.startsWith('.')) : [];
}

// Every process this run starts inherits this marker (the package passes the environment on),
// so strays are found even after they were re-parented, and other runs on the machine are left alone.
const RUN_MARKER = `MP_TEST_RUN=${process.pid}-${Date.now()}`;

function strayProcesses() {
  const strays = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (Number(pid) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(RUN_MARKER)) continue;
      strays.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`);
    } catch {
      // the process ended while we looked
    }
  }
  return strays;
}

const args = process.argv.slice(2);
const noAddon = args.includes('--no-addon');
const given = args.filter((arg) => arg !== '--no-addon');
const shmBefore = new Set(shmEntries());
const files = given.length > 0 ? given : testFiles(join(root, 'test')).sort();
const env = { ...process.env, MP_TEST_RUN: RUN_MARKER.split('=')[1] };
if (noAddon) {
  env.MULTIPROCESSING_TS_NATIVE = '0';
  console.log('Running without the native addon (MULTIPROCESSING_TS_NATIVE=0): the thread context only.\n');
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...files], {
  stdio: 'inherit',
  cwd: root,
  env,
});

const problems = [];
// Children get a moment to die after the suite: a parent-death signal is delivered asynchronously.
const deadline = Date.now() + 5000;
let strays = strayProcesses();
while (strays.length > 0 && Date.now() < deadline) {
  spawnSync('sleep', ['0.2']);
  strays = strayProcesses();
}
if (strays.length > 0) problems.push(`child processes left running:\n  ${strays.join('\n  ')}`);
const leakedShm = shmEntries().filter((name) => !shmBefore.has(name));
if (leakedShm.length > 0) problems.push(`shared memory left in /dev/shm: ${leakedShm.join(', ')}`);

if (problems.length > 0) {
  console.error(`\nLeak check failed:\n- ${problems.join('\n- ')}`);
  for (const line of strays) {
    const pid = Number(line.split(':')[0]);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  process.exit(1);
}
console.log(`\nLeak check passed${noAddon ? ' (without the native addon)' : ''}: no child processes or shared memory left behind.`);
process.exit(result.status ?? 1);
