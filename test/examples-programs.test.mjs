// The examples that are Node programs of their own (a server, a command-line job, two programs
// talking) are driven as their users would drive them: HTTP requests, signals, a second program.
// They are compiled apart from the Python twins (examples.test.mjs), into their own directory, so
// the two test files can run at the same time.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createServer } from 'node:net';
import { Client } from '../dist/index.js';
import { needsAddon, within } from './helpers/methods.mjs';
import { groupAlive, pidAlive, runScript, startScript } from './helpers/run-script.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'out', 'programs');
const compiled = (name) => join(outDir, 'examples', `${name}.js`);
const lines = (text) => text.split('\n').filter((line) => line !== '');

/** Runs a compiled example from the repository root and checks it exits with 0. */
async function run(name, { args = [] } = {}) {
  const result = await runScript(compiled(name), { args, cwd: root, timeout: 30_000 });
  assert.equal(result.code, 0, `${name} exited with ${result.code ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

before(() => {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.examples.json', '--outDir', outDir], {
    cwd: root,
    stdio: 'pipe',
  });
});

describe('examples: pool-http-server', () => {
  const N = 4_000_000;
  const PRIMES_BELOW_N = 283_146;
  /** Enough for a computation still running when the signal comes (a few hundred ms, on one CPU). */
  const SIGNALLED_N = 2_000_000;
  const PRIMES_BELOW_SIGNALLED_N = 148_933;

  /** Starts the server on a free port; resolves with its base URL and its pool workers' pids. */
  async function startServer(t, options = {}) {
    const server = startScript(compiled('pool-http-server'), { args: ['0'], cwd: root, ...options });
    t.after(() => server.stop());
    const [, base] = await within(server.waitFor(/^Listening on (http:\S+)/m), 20_000, 'the server start');
    const [, pids] = await server.waitFor(/^Pool of \d+ worker process(?:es)?: (.+)$/m);
    const workers = pids.split(', ').map((pid) => Number(pid.replace('pid ', '')));
    assert.ok(workers.length >= 1 && workers.every(pidAlive), pids);
    return { server, base, workers };
  }

  const health = async (base) => (await fetch(`${base}/health`)).json();

  /** CPU time (clock ticks) the processes have used so far, from /proc/<pid>/stat (utime + stime). */
  const cpuTicks = (pids) =>
    pids
      .map((pid) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '))
      .reduce((ticks, fields) => ticks + Number(fields[11]) + Number(fields[12]), 0);

  /**
   * GET /compute and, until it is answered, /health back to back; every /health with how long it
   * took, and what it said or the error it failed with (a server blocked for more than its
   * keep-alive timeout, 5 s, can reset the connection a request waited on).
   */
  async function computeWhileProbing(base, on) {
    const started = performance.now();
    let answered = false;
    const computing = fetch(`${base}/compute?n=${N}&on=${on}`)
      .then((response) => response.json())
      .finally(() => (answered = true));
    const probes = [];
    while (!answered) {
      const sent = performance.now();
      const probe = await health(base).then(
        ({ computing: running }) => ({ running }),
        (error) => ({ error }),
      );
      probes.push({ ms: performance.now() - sent, ...probe });
    }
    return { reply: await computing, ms: performance.now() - started, probes };
  }

  test('answers /health while a /compute runs on the pool; the same work on the main thread stalls it; POST /shutdown stops it', async (t) => {
    const { server, base, workers } = await startServer(t);
    const bad = await fetch(`${base}/compute?n=abc`);
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /^n must be a whole number from 2 to /);

    const pool = await computeWhileProbing(base, 'pool');
    assert.equal(pool.reply.primes, PRIMES_BELOW_N);
    assert.deepEqual(pool.probes.filter((probe) => probe.error), [], 'no /health request failed');
    const during = pool.probes.filter((probe) => probe.running === 1);
    assert.ok(during.length >= 10, `${during.length} /health answers came while the pool computed (${pool.ms.toFixed(0)} ms)`);
    // Generous: on an idle machine the slowest is a few ms; what must not happen is a stall.
    const slowest = Math.max(...pool.probes.map((probe) => probe.ms));
    assert.ok(slowest < pool.ms / 3, `a /health request waited ${slowest.toFixed(0)} ms during ${pool.ms.toFixed(0)} ms on the pool`);

    const main = await computeWhileProbing(base, 'main');
    assert.equal(main.reply.primes, PRIMES_BELOW_N);
    assert.equal(main.probes.filter((probe) => probe.running === 1).length, 0, 'no /health answer while the main thread computed');
    const stalled = Math.max(...main.probes.map((probe) => probe.ms));
    assert.ok(stalled > main.ms / 2, `the slowest /health took ${stalled.toFixed(0)} ms of ${main.ms.toFixed(0)} ms on the main thread`);

    const shutdown = await fetch(`${base}/shutdown`, { method: 'POST' });
    assert.equal(shutdown.status, 202);
    const { code, stdout, stderr } = await within(server.exited, 20_000, 'the server exit');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^Stopping \(POST \/shutdown\): /m);
    assert.equal(lines(stdout).at(-1), 'Stopped: the pool is closed and its workers have exited');
    for (const pid of workers) assert.equal(pidAlive(pid), false, `worker ${pid} has exited`);
  });

  for (const { signal, to } of [
    { signal: 'SIGTERM', to: 'the server' },
    { signal: 'SIGINT', to: 'its process group, as Ctrl-C in a terminal' },
  ]) {
    test(`${signal} to ${to}: the /compute in flight is answered, new requests are refused, then the pool closes`, async (t) => {
      const group = signal === 'SIGINT';
      const { server, base, workers } = await startServer(t, { detached: group });
      // A first, small computation: once it is answered the workers have booted, and their CPU
      // time stands still until the next one.
      assert.equal((await (await fetch(`${base}/compute?n=100000`)).json()).primes, 9_592);
      const idle = cpuTicks(workers);
      let answered = false;
      const computing = fetch(`${base}/compute?n=${SIGNALLED_N}`)
        .then((response) => response.json())
        .finally(() => (answered = true));
      // The signal goes once a worker is computing (its CPU time grows), not merely sent the work:
      // a worker killed before it starts a task has it run again elsewhere, which would hide a failure.
      while (!answered && cpuTicks(workers) < idle + 5) await health(base);
      assert.equal(answered, false, 'the signal is sent while the computation runs');
      process.kill(group ? -server.pid : server.pid, signal);

      await within(server.waitFor(new RegExp(`^Stopping \\(${signal}\\): `, 'm')), 10_000, 'the server stopping');
      await assert.rejects(health(base), 'a stopping server takes no new requests');
      const reply = await computing;
      assert.equal(reply.primes, PRIMES_BELOW_SIGNALLED_N, JSON.stringify(reply));
      const { code, stdout, stderr } = await within(server.exited, 20_000, 'the server exit');
      assert.equal(code, 0, stderr);
      assert.equal(lines(stdout).at(-1), 'Stopped: the pool is closed and its workers have exited');
      for (const pid of workers) assert.equal(pidAlive(pid), false, `worker ${pid} has exited`);
      if (group) assert.equal(groupAlive(server.pid), false, 'no process is left in its group');
    });
  }

  test('--measure prints the /health requests and their latencies with the work on the pool and on the main thread', async () => {
    const { stdout } = await run('pool-http-server', { args: ['--measure', '2000000'] });
    const rows = lines(stdout)
      .map((line) => /^ {2}on the (pool|main thread) +148,933 primes in [\d,]+ ms; \/health requests: (\d+), (?:none failed|\d+ failed \(.+\)), p50 [\d.,]+ ms, max [\d.,]+ ms$/.exec(line))
      .filter(Boolean);
    assert.deepEqual(rows.map((row) => row[1]), ['pool', 'main thread'], stdout);
    const [onPool, onMain] = rows.map((row) => Number(row[2]));
    assert.ok(onPool > onMain, `${onPool} /health requests with the work on the pool, ${onMain} on the main thread`);
  });
});

describe('examples: pool-imap-progress', () => {
  /** Files of several kinds (an empty one too) to compress; a sub-directory and an old .gz, which are skipped. */
  function inputDir(t) {
    const dir = mkdtempSync(join(tmpdir(), 'examples-imap-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const files = {
      'access.log': Buffer.from('127.0.0.1 GET /index.html 200 512\n'.repeat(20_000)),
      'data.json': Buffer.from(JSON.stringify(Array.from({ length: 20_000 }, (_, id) => ({ id, name: `item ${id}` })))),
      'empty.txt': Buffer.alloc(0),
      'notes.md': Buffer.from('# Notes\n\nSome text that repeats. '.repeat(5_000)),
      'random.bin': randomBytes(400_000),
      'short.txt': Buffer.from('hello\n'),
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'old.gz'), gzipSync('already compressed'));
    return { dir, files, names: Object.keys(files).sort() };
  }

  test('compresses every file of DIR, prints them in order, and plain progress lines when stderr is not a terminal', async (t) => {
    const { dir, files, names } = inputDir(t);
    const { stdout, stderr } = await run('pool-imap-progress', { args: [dir] });
    const out = lines(stdout);
    assert.equal(out.length, names.length + 1, stdout);
    names.forEach((name, i) => {
      const gz = readFileSync(join(dir, `${name}.gz`));
      assert.deepEqual(gunzipSync(gz), files[name], `${name}.gz holds ${name}`);
      const bytes = files[name].length;
      const ratio = bytes === 0 ? '-' : `${((100 * gz.length) / bytes).toFixed(1)}%`;
      assert.deepEqual(out[i].split(/ +/), [name, (bytes / 1e3).toFixed(1), 'kB', '->', (gz.length / 1e3).toFixed(1), 'kB', ratio]);
    });
    assert.match(out.at(-1), /^Compressed 6 files, \d+\.\d MB -> \d+\.\d MB, in \d+\.\d\d s with \d+ worker processes$/);
    assert.equal(existsSync(join(dir, 'old.gz.gz')), false, 'a .gz is not compressed again');

    const progress = lines(stderr).map((line) => /^progress: (\d+)\/6 files (\d+)% \d+\.\d\d s$/.exec(line));
    assert.ok(progress.length > 0 && progress.every(Boolean), stderr);
    const done = progress.map((match) => Number(match[1]));
    assert.deepEqual(done, [...done].sort((a, b) => a - b), 'progress only goes forward');
    assert.equal(done.at(-1), 6);
  });

  test('refuses a DIR that is not a directory, with usage and exit code 2', async () => {
    const missing = join(tmpdir(), `examples-imap-missing-${process.pid}`);
    const { code, stdout, stderr } = await runScript(compiled('pool-imap-progress'), { args: [missing], cwd: root });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.deepEqual(lines(stderr), [
      `pool-imap-progress: ${missing} is not a directory`,
      'usage: pool-imap-progress [DIR]   (gzip -9 every file of DIR; no DIR: sample files)',
    ]);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  test('on a terminal, the bar is one line redrawn in place, with the results printed above it', { skip: !hasScript && 'needs script(1) for a terminal' }, async (t) => {
    const { dir, names } = inputDir(t);
    const quote = (text) => `'${text.replaceAll("'", "'\\''")}'`;
    const command = [process.execPath, compiled('pool-imap-progress'), dir].map(quote).join(' ');
    // script(1) runs the command on a pseudo-terminal and copies what it shows to its stdout.
    const { stdout: screen } = await promisify(execFile)('script', ['-qfec', command, '/dev/null'], { cwd: root, timeout: 30_000 });
    assert.match(screen, /\[#{30}\] 6\/6 files 100% \d+\.\d\d s/, 'the finished bar');
    assert.match(screen, /\r\[[#-]{30}\] \d\/6 files \d+% \d+\.\d\d s\x1b\[K/, 'the bar is redrawn over itself');
    assert.doesNotMatch(screen, /progress:/);
    // Only the results, the bar's end and the summary end a line: the bar never fills the screen.
    const shown = screen.split('\n').map((line) => line.split('\r').at(-2) ?? line);
    assert.equal(shown.length, names.length + 3, JSON.stringify(screen));
    assert.match(shown.at(-2), /^Compressed 6 files, /);
  });

  test('Ctrl-C mid-run (SIGINT to its process group) stops the workers, removes the sample files and exits with 130', async (t) => {
    const job = startScript(compiled('pool-imap-progress'), { cwd: root, detached: true });
    t.after(() => job.stop());
    const [, dir] = await within(job.waitFor(/^Writing \d+ sample log files of .+ to (\S+)$/m), 30_000, 'the sample files');
    await within(job.waitFor(/^progress: /m, 'stderr'), 30_000, 'the first progress line');
    process.kill(-job.pid, 'SIGINT');
    const { code, stdout, stderr } = await within(job.exited, 20_000, 'the exit after Ctrl-C');
    assert.equal(code, 130, stderr);
    const [, done, total] = /^Interrupted: (\d+) of (\d+) files compressed; every \.gz written is complete\.$/m.exec(stderr) ?? [];
    assert.ok(Number(done) < Number(total), stderr);
    assert.equal(lines(stdout).filter((line) => line.startsWith('app-')).length, Number(done));
    assert.doesNotMatch(stdout, /^Compressed/m);
    assert.doesNotMatch(stderr, /Error/, 'a clear message, not a stack');
    assert.equal(existsSync(dir), false, 'the sample directory is removed');
    assert.equal(groupAlive(job.pid), false, 'no process is left in its group');
  });
});

describe('examples: shared-memory-barrier-prefix-sum', () => {
  test('the processes meet at the barrier between phases, the sums match the serial ones, and the block is unlinked', async () => {
    const { stdout, stderr } = await run('shared-memory-barrier-prefix-sum');
    const out = lines(stdout);
    const name = /^4 processes, one slice each of 2,000,000 numbers in shared memory block (\S+)$/.exec(out[0] ?? '')?.[1];
    assert.ok(name, stdout);
    assert.deepEqual(out.slice(1), [
      'Matches the serial prefix sum: 2,000,000 running totals, the last 999,000,000',
      `Block ${name} unlinked`,
    ]);
    assert.equal(existsSync(`/dev/shm/${name}`), false);
    assert.equal(stderr, '');
  });
});

/** A TCP port free on the loopback now (the kernel's pick, released at once). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

describe('examples: manager-002-37-auth-server and manager-002-38-auth-client', needsAddon, () => {
  test('the client connects with the key and prints 8; the server serves on', async (t) => {
    const port = String(await freePort());
    const server = startScript(compiled('manager-002-37-auth-server'), { cwd: root, env: { MATH_PORT: port } });
    t.after(() => server.stop());
    await within(server.waitFor(/^Server started\. Waiting for connections\.\.\.$/m), 20_000, 'the server start');
    for (let i = 0; i < 2; i++) {
      const client = await runScript(compiled('manager-002-38-auth-client'), { cwd: root, env: { MATH_PORT: port } });
      assert.equal(client.code, 0, client.stderr);
      assert.equal(client.stdout, '8\n');
    }
  });
});

describe('examples: listener-kv-server and listener-kv-client', needsAddon, () => {
  test('clients with the key share one store, in turn and at once; a wrong key gets AuthenticationError; SIGTERM stops the server', async (t) => {
    const server = startScript(compiled('listener-kv-server'), { cwd: root });
    t.after(() => server.stop());
    const [, key] = await within(server.waitFor(/^No KV_AUTHKEY given: clients need KV_AUTHKEY=([0-9a-f]{32})$/m), 20_000, 'the server start');
    const [, address] = await server.waitFor(/^Listening on (127\.0\.0\.1:\d+) \(pid \d+\)$/m);
    const client = (name, authkey = key) =>
      runScript(compiled('listener-kv-client'), { args: [address, name], env: { KV_AUTHKEY: authkey }, cwd: root });
    const served = ({ code, stdout, stderr }) => {
      assert.equal(code, 0, stderr);
      return lines(stdout);
    };

    assert.deepEqual(served(await client('alice')), [
      `alice: connected to ${address}, client run number 1`,
      'alice: the client before me was nobody; keys: last-client, runs',
    ]);
    assert.deepEqual(served(await client('bob')), [
      `bob: connected to ${address}, client run number 2`,
      'bob: the client before me was alice; keys: last-client, runs',
    ]);

    // Two at once: each gets its own run number, and one of them saw bob's name, the other its partner's.
    const pair = (await Promise.all([client('carol'), client('dave')])).map(served);
    assert.deepEqual(pair.map((out) => Number(/run number (\d+)$/.exec(out[0])?.[1])).sort(), [3, 4]);
    const before = pair.map((out) => /before me was (\w+);/.exec(out[1])?.[1]);
    assert.ok(
      (before[0] === 'bob' && before[1] === 'carol') || (before[0] === 'dave' && before[1] === 'bob'),
      `carol saw ${before[0]}, dave saw ${before[1]}`,
    );

    const refused = await client('mallory', 'not-the-key');
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.equal(
      refused.stderr,
      `${address} refused this client's key (AuthenticationError: digest sent was rejected); set KV_AUTHKEY to the server's key\n`,
    );
    await within(server.waitFor(/^Refused 127\.0\.0\.1:\d+: AuthenticationError: digest received was wrong$/m), 10_000, 'the refusal');

    // The server kept serving, and the refused client changed nothing in the store.
    assert.equal(served(await client('erin'))[0], `erin: connected to ${address}, client run number 5`);

    // A client still connected when the server stops sees the connection end (EOF).
    const [host, port] = address.split(':');
    const idle = await Client({ host, port: Number(port) }, { authkey: Buffer.from(key) });
    t.after(() => idle.close());
    process.kill(server.pid, 'SIGTERM');
    await assert.rejects(within(idle.recv(), 10_000, 'the idle client'), { name: 'EOFError' });
    const { code, stdout } = await within(server.exited, 10_000, 'the server exit');
    assert.equal(code, 0);
    assert.equal(lines(stdout).at(-1), 'Stopped: 15 requests from 6 clients, 1 refused', 'and no connection failed');
  });
});
