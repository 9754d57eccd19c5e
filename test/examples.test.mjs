// The examples in examples/ are what newcomers run first: each must compile with tsc, run to the
// end with exit code 0, and print what its Python original prints (or evidently meant to print).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuCount, getAffinity } from '../dist/index.js';
import { needsAddon } from './helpers/methods.mjs';
import { runScript } from './helpers/run-script.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const examplesDir = join(root, 'examples');
const compiled = (name) => join(root, 'out', 'examples', `${name}.js`);
const lines = (text) => text.split('\n').filter((line) => line !== '');

/** Runs a compiled example from the repository root and checks it exits with 0. */
async function run(name, { args = [], env = {} } = {}) {
  const result = await runScript(compiled(name), { args, env, cwd: root, timeout: 30_000 });
  assert.equal(result.code, 0, `${name} exited with ${result.code ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

const CUBES = ['3 cube is 27', '4 cube is 64', '5 cube is 125', '6 cube is 216', '7 cube is 343', '8 cube is 512'];
const EVENS = ['4 is an even number ', '6 is an even number ', '8 is an even number '];
const START_METHOD_LINES = [
  'Using spawn start method',
  'Worker Function',
  'Using forkserver start method',
  'Worker Function',
  'Using thread start method',
  'Worker Function',
];

/**
 * Twins whose point is a process of its own (its pid, its CPU affinity, every start method): without
 * the native addon the package starts threads instead, so they cannot show it.
 */
const NEED_PROCESSES = new Set(['manager-002-18-shared-list', 'manager-002-19-shared-dict', 'process-002-3-pid-ppid', 'process-002-21-current-process-pid', 'process-002-22-start-methods', 'process-002-30-cpu-affinity']);

/** Each twin's checks on what it printed; `result` is runScript's { stdout, stderr, pid }. */
const checks = {
  'pool-002-10-map-squares': ({ stdout }) => {
    assert.equal(stdout, 'Squares: [ 1, 4, 9, 16, 25 ]\n');
  },
  'pool-002-26-map-range': ({ stdout }) => {
    assert.deepEqual(JSON.parse(stdout.replace(/\s+/g, '')), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  },
  'pool-002-34-overhead': ({ stdout }) => {
    const out = lines(stdout);
    assert.match(out[0] ?? '', /^Single-threaded time: \d+(\.\d+)?(e-\d+)?$/);
    assert.match(out[1] ?? '', /^Multi-threaded time: \d+(\.\d+)?$/);
    assert.equal(out[2], '(1000 results)');
  },
  'pool-002-35-profile': ({ stdout }) => {
    const out = lines(stdout);
    assert.match(out[0] ?? '', /^\d+ samples in \d+\.\d{3} seconds$/);
    assert.deepEqual(out.slice(1, 3), ['Ordered by: standard name', 'samples  filename:lineno(function)']);
    for (const row of out.slice(3)) assert.match(row, /^ +\d+  \S+:\d+\(.+\)$/);
  },
  'pool-002-36-shared-array-starmap': ({ stdout }) => {
    assert.equal(stdout, '[0, 1, 4, 9, 16]\n');
  },
  'pool-000-apply-async-callbacks': ({ stdout }) => {
    assert.deepEqual(lines(stdout), ['results: [ 2, 4, 6, 8, 10 ]', 'callbacks: 5 ready: true']);
  },
  'pool-000-fan-out-imap-unordered': ({ stdout }) => {
    const out = lines(stdout);
    const got = out.slice(0, -1).map((line) => /^downloaded \/image-(\d+)\.png \((\d+) bytes\)$/.exec(line));
    assert.ok(got.every(Boolean), stdout);
    assert.deepEqual(got.map((m) => Number(m[1])).sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => i));
    for (const m of got) assert.equal(Number(m[2]), 1024 * (Number(m[1]) + 1));
    assert.equal(out.at(-1), '16 files, 139264 bytes');
  },
  'manager-002-18-shared-list': ({ stdout }) => {
    const squares = /^Squares are: \[(.*)\]\n$/.exec(stdout)?.[1];
    assert.ok(squares !== undefined, stdout);
    assert.deepEqual(squares.split(', ').map(Number).sort((a, b) => a - b), [0, 1, 4, 9, 16]);
  },
  'manager-002-19-shared-dict': ({ stdout }) => {
    const items = /^Squares are: \{(.*)\}\n$/.exec(stdout)?.[1];
    assert.ok(items !== undefined, stdout);
    assert.deepEqual(items.split(', ').sort(), ['0: 0', '1: 1', '2: 4', '3: 9', '4: 16']);
  },
  'process-001-1-display': ({ stdout }) => {
    assert.equal(stdout, 'Hi !! I am Python\n');
  },
  'process-001-2-args': ({ stdout }) => {
    assert.equal(stdout, 'Hi !!! Python\n');
  },
  'process-001-3-cube': ({ stdout }) => {
    assert.deepEqual(lines(stdout), [...CUBES, 'Done']);
  },
  'process-001-4-cube-and-even': ({ stdout }) => {
    const out = lines(stdout);
    assert.deepEqual(out.filter((line) => line.includes('cube')), CUBES);
    assert.deepEqual(out.filter((line) => line.includes('even')), EVENS);
    assert.equal(out.length, CUBES.length + EVENS.length + 1);
    assert.equal(out.at(-1), 'Done', 'Done comes after both processes are joined');
  },
  'logging-001-8-log-to-stderr': ({ stdout, stderr }) => {
    assert.equal(stdout, '');
    assert.equal(lines(stderr)[0], '[WARNING/MainProcess] Error has occurred');
  },
  'process-002-3-pid-ppid': ({ stdout, pid }) => {
    const out = lines(stdout);
    assert.equal(out.length, 6, stdout);
    assert.equal(out[0], 'Main Process:');
    assert.equal(out[1], `Process ID: ${pid}`);
    assert.equal(out[2], `Parent Process ID: ${process.pid}`);
    assert.equal(out[3], 'Child Process:');
    const childPid = Number(/^Process ID: (\d+)$/.exec(out[4])?.[1]);
    assert.ok(childPid > 0 && childPid !== pid, `the child has its own pid: ${out[4]}`);
    assert.equal(out[5], `Parent Process ID: ${pid}`, "the child's parent is the main process");
  },
  'process-002-7-threads-vs-processes': ({ stdout }) => {
    const out = lines(stdout);
    assert.equal(out.length, 2, stdout);
    assert.match(out[0], /^Threading took \d+(\.\d+)?(e-\d+)?$/);
    assert.match(out[1], /^Multiprocessing took \d+(\.\d+)?(e-\d+)?$/);
  },
  'process-002-8-hello-world': ({ stdout }) => {
    assert.deepEqual(lines(stdout), ['Hello, world!', 'Hello, world!']);
  },
  'process-002-9-two-processes-args': ({ stdout }) => {
    const out = lines(stdout);
    assert.deepEqual(out.slice(0, 2).sort(), ['Hello from Process 1', 'Hello from Process 2']);
    assert.deepEqual(out.slice(2), ['Both processes are done']);
  },
  'process-002-15-lifecycle': ({ stdout }) => {
    assert.deepEqual(lines(stdout), [
      'Process Process-1 is Created',
      'Process Process-1 is Running',
      'Process Process-1 is Terminated',
    ]);
  },
  'process-002-20-daemon': ({ stdout, stderr }) => {
    // The daemon would print "Exiting Daemon" after 2 s; the main process exits after 1 s and ends it.
    assert.equal(stdout, 'Starting Daemon\nMain Process exiting\n');
    assert.equal(stderr, '');
  },
  'process-002-21-current-process-pid': ({ stdout, pid }) => {
    const out = lines(stdout);
    assert.equal(out.length, 2, stdout);
    assert.equal(out[0], `Main Process ID: ${pid}`);
    const childPid = Number(/^Child Process ID: (\d+)$/.exec(out[1])?.[1]);
    assert.ok(childPid > 0 && childPid !== pid, `the child has its own pid: ${out[1]}`);
  },
  'process-002-22-start-methods': ({ stdout }) => {
    assert.deepEqual(lines(stdout), START_METHOD_LINES);
  },
  'process-002-23-uncaught-exception': ({ stdout, stderr }) => {
    assert.equal(stdout, 'Process-1 failed with exit code 1\n');
    assert.ok(stderr.startsWith('Process Process-1:\n'), stderr);
    assert.match(stderr, /^Error: Something went wrong!$/m);
    assert.match(stderr, /at faultyWorker /, "the child's stack names the target");
  },
  'process-002-27-logging-get-logger': ({ stderr }) => {
    const executing = lines(stderr).filter((line) => line.endsWith(' is executing.'));
    const expected = [1, 2, 3, 4, 5].map((n) => `[INFO/Process-${n}] Process-${n} is executing.`);
    assert.deepEqual(executing.sort(), expected);
  },
  'process-002-28-terminate': ({ stdout }) => {
    const out = lines(stdout);
    assert.equal(out.at(-1), 'Process terminated.');
    const working = out.slice(0, -1);
    assert.ok(working.every((line) => line === 'Working...'), stdout);
    // Started, then stopped long before its 10 rounds (it prints about once a second for 3 s).
    assert.ok(working.length >= 1 && working.length < 10, `printed "Working..." ${working.length} times`);
  },
  'process-002-29-exit-code': ({ stdout }) => {
    assert.equal(stdout, 'Worker Function running on Process-1\nExit Code: 1\n');
  },
  'process-002-30-cpu-affinity': ({ stdout, pid }) => {
    const out = lines(stdout);
    assert.equal(out.length, 3, stdout);
    const workerPid = Number(/^Worker Function running on PID: (\d+)$/.exec(out[0])?.[1]);
    assert.ok(workerPid > 0 && workerPid !== pid, out[0]);
    const allowed = getAffinity();
    const cpus = [0, 2].filter((cpu) => allowed.includes(cpu));
    assert.equal(out[1], `CPU affinity set to: ${(cpus.length > 0 ? cpus : allowed).join(',')}`);
    assert.equal(out[2], 'Priority (nice): 10');
  },
  'process-002-31-handled-exception': ({ stdout }) => {
    assert.equal(stdout, 'Caught exception: Something went wrong!\n');
  },
  'process-002-32-debugger': ({ stdout }) => {
    // Without DEBUG_WORKER=1 the worker does not wait for a debugger; `debugger;` is a no-op.
    assert.equal(stdout, 'Doing some work\n');
  },
  'process-002-33-log-to-stderr': ({ stdout, stderr }) => {
    assert.equal(stdout, 'Doing some work\n');
    assert.deepEqual(
      lines(stderr).filter((line) => line.startsWith('[INFO/Process-1]')),
      [
        '[INFO/Process-1] child process calling self.run()',
        '[INFO/Process-1] Worker Function',
        '[INFO/Process-1] process shutting down',
        '[INFO/Process-1] process exiting with exitcode 0',
      ],
    );
  },
  'lock-001-7-display-name': ({ stdout }) => {
    // The Lock keeps each line whole; the order between the processes is up to the OS.
    assert.deepEqual(lines(stdout).sort(), ['Hi Aadrika', 'Hi Adwaita', 'Hi Sakya', 'Hi Sanj']);
  },
  'lock-002-13-printer': ({ stdout }) => {
    assert.deepEqual(lines(stdout).sort(), ['Printing apple', 'Printing banana', 'Printing cherry']);
  },
  'lock-002-24-acquire-timeout': ({ stdout, stderr }) => {
    // The lock is free, so acquire() gets it at once and nothing is printed.
    assert.equal(stdout, '');
    assert.equal(stderr, '');
  },
  'semaphore-002-14-limited-resource': ({ stdout }) => {
    const expected = Array.from({ length: 10 }, (_, i) => `${i} is using the limited resource`);
    assert.deepEqual(lines(stdout).sort(), expected.sort());
  },
  'value-002-16-shared-counter': ({ stdout }) => {
    // Ten increments under the Value's lock: none is lost.
    assert.equal(stdout, 'Counter = 10\n');
  },
  'array-002-17-square': ({ stdout }) => {
    assert.equal(stdout, 'Squared numbers are: [0, 1, 4, 9, 16]\n');
  },
  'pipe-001-5-send-list': ({ stdout }) => {
    assert.equal(stdout, "['hi!! I am Python']\n");
  },
  'queue-001-6-even-numbers': ({ stdout }) => {
    // The loop ends once the queue is empty, after the five even numbers.
    assert.deepEqual(lines(stdout), ['0', '2', '4', '6', '8']);
  },
  'queue-002-11-worker-message': ({ stdout }) => {
    assert.equal(stdout, 'Main process received message: Hello from the worker process\n');
  },
  'pipe-002-12-two-way': ({ stdout }) => {
    // The worker prints only after the main process has received its message and replied.
    assert.deepEqual(lines(stdout), [
      'Main process received message: Hello from the worker process',
      'Worker received message: Hello from the main process',
    ]);
  },
  'pipe-002-25-sender-receiver': ({ stdout }) => {
    assert.equal(stdout, "['data']\n");
  },
};

before(() => {
  // Compiles every example once, as `npm run demo` does; the package itself is already in dist/.
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.examples.json'], {
    cwd: root,
    stdio: 'pipe',
  });
});

/** The examples that are Node programs of their own rather than Python twins, tested in examples-programs.test.mjs. */
const PROGRAMS = [
  'listener-kv-client',
  'listener-kv-server',
  // A Python twin in two programs, a server and its client: run together there.
  'manager-002-37-auth-server',
  'manager-002-38-auth-client',
  'pool-http-server',
  'pool-imap-progress',
  'shared-memory-barrier-prefix-sum',
];

describe('examples: the Python twins', () => {
  test('every example in examples/ is checked here and listed in examples/README.md', () => {
    const examples = readdirSync(examplesDir)
      .filter((file) => file.endsWith('.ts') && file !== 'demo.ts')
      .map((file) => file.slice(0, -'.ts'.length))
      .sort();
    assert.deepEqual(examples, [...Object.keys(checks), ...PROGRAMS].sort());
    const readme = readFileSync(join(examplesDir, 'README.md'), 'utf8');
    for (const example of examples) assert.ok(readme.includes(`](${example}.ts)`), `README links ${example}.ts`);
  });

  for (const [name, check] of Object.entries(checks)) {
    test(`${name} runs and prints the expected output`, NEED_PROCESSES.has(name) ? needsAddon : {}, async () => {
      check(await run(name, { env: { DEBUG_WORKER: '' } }));
    });
  }

  test('a twin runs as TypeScript source under tsx, children included, on every start method', needsAddon, async () => {
    const file = join(examplesDir, 'process-002-22-start-methods.ts');
    const result = await runScript(file, { execArgv: ['--import', 'tsx'], cwd: root, timeout: 30_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), START_METHOD_LINES);
  });
});

describe('examples: the demo', () => {
  test('counts serially and in one process per CPU, and reports the speedup', async () => {
    const n = 20_000_000;
    const { stdout } = await run('demo', { args: [String(n)] });
    const out = lines(stdout);
    assert.ok(out.includes('Job       count to 20,000,000 in a plain loop'), stdout);
    assert.ok(out.some((line) => /^Serial    \[#{20}\] \d+\.\d\d s in 1 process$/.test(line)), stdout);
    const workers = out.filter((line) => / counted [\d,]+ in \d+\.\d\d s$/.test(line));
    assert.equal(workers.length, cpuCount(), 'one line per worker process');
    const counted = workers.map((line) => Number(/counted ([\d,]+)/.exec(line)[1].replaceAll(',', '')));
    assert.equal(counted.reduce((a, b) => a + b, 0), n, 'the shares add up to the whole job');
    assert.match(out.at(-1) ?? '', new RegExp(`^Speedup +\\d+\\.\\d\\dx with ${cpuCount()} processes on ${cpuCount()} CPUs$`));
  });

  test('refuses a count that is not a whole number in range, with usage and exit code 2', async () => {
    for (const bad of ['abc', '0', '1.5', String(1e12 + 1)]) {
      const result = await runScript(compiled('demo'), { args: [bad], cwd: root });
      assert.equal(result.code, 2, `demo ${bad}`);
      assert.match(result.stderr, /^usage: demo \[N\]/, `demo ${bad}`);
      assert.equal(result.stdout, '');
    }
  });
});
