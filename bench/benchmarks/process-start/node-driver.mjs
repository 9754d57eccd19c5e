// Measures multiprocessing-ts for the process-start benchmark, on the harness's requests (see
// lib/driver.mjs). Run with --expose-gc: the start/join cycles compare memory after a full GC.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { cpuCount, getContext } from '../../lib/package.mjs';
import { childPids, memoryOf } from '../../lib/procfs.mjs';
import { serve } from '../../lib/serve.mjs';
import { msBetween, now } from '../../lib/timing.mjs';
import { idle, noop, square, stamp } from './targets.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run the driver with node --expose-gc');

async function waitForFile(path, limitMs) {
  const deadline = Date.now() + limitMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${limitMs} ms`);
    await sleep(2);
  }
}

async function fullGc() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function checkExit(p, what) {
  if (p.exitCode !== 0) throw new Error(`${what}: child ended with exit code ${p.exitCode}`);
}

const BARE_STAMP = fileURLToPath(new URL('./bare-stamp.mjs', import.meta.url));

/** Starts the floor case: a plain Node process (with `env`) or Worker running bare-stamp.mjs. */
function startBare(kind, path, env) {
  if (kind === 'bare-worker') {
    const worker = new Worker(BARE_STAMP, { workerData: path });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
  }
  const child = spawn(process.execPath, [BARE_STAMP, path], { stdio: 'ignore', env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
}

/**
 * One timed start: the start() call, start -> target's first line, start -> join() resolved (ms).
 * `backToBack`: another start/join of the same method runs just before, without the pause.
 */
async function start({ kind = 'package', method, dir, settleMs, tag, backToBack = false, env = {} }) {
  await sleep(settleMs);
  const path = `${dir}/node-${kind}-${method}-${tag}`;
  if (kind !== 'package') {
    const t0 = now();
    const ended = startBare(kind, path, env);
    const t1 = now();
    const code = await ended;
    const t2 = now();
    if (code !== 0) throw new Error(`${kind} ended with exit code ${code}`);
    const first = BigInt(readFileSync(path, 'utf8'));
    rmSync(path);
    return { startCall: msBetween(t0, t1), firstLine: msBetween(t0, first), join: msBetween(t0, t2) };
  }
  const Process = getContext(method).Process;
  if (backToBack) {
    const before = new Process({ target: noop });
    before.start();
    await before.join();
  }
  const p = new Process({ target: stamp, args: [path] });
  const t0 = now();
  p.start();
  const t1 = now();
  await p.join();
  const t2 = now();
  checkExit(p, `${method} start`);
  const first = BigInt(readFileSync(path, 'utf8'));
  rmSync(path);
  return { startCall: msBetween(t0, t1), firstLine: msBetween(t0, first), join: msBetween(t0, t2) };
}

let idleCount = 0;

/** Memory of one idle child, read while it waits; for threads, what one adds to this process. */
async function idleRss({ method, dir, settleMs }) {
  const tag = `${method}-${idleCount++}`;
  const ready = `${dir}/idle-ready-${tag}`;
  const release = `${dir}/idle-release-${tag}`;
  if (method === 'node') {
    // The baseline: a bare Node.js process doing the same waiting, without the package.
    const script = `const fs=require('fs');fs.writeFileSync(${JSON.stringify(ready)},'');` +
      `const t=setInterval(()=>{if(fs.existsSync(${JSON.stringify(release)}))clearInterval(t)},10)`;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await waitForFile(ready, 20_000);
    await sleep(settleMs);
    const memory = memoryOf(child.pid);
    writeFileSync(release, '');
    await exited;
    return memory;
  }
  await fullGc();
  const before = memoryOf(process.pid);
  const p = new (getContext(method).Process)({ target: idle, args: [ready, release, 60_000] });
  p.start();
  await waitForFile(ready, 20_000);
  await sleep(settleMs);
  let memory;
  if (method === 'thread') {
    await fullGc();
    const during = memoryOf(process.pid);
    memory = Object.fromEntries(Object.keys(during).map((field) => [field, during[field] - before[field]]));
  } else {
    memory = memoryOf(p.pid);
  }
  writeFileSync(release, '');
  await p.join();
  checkExit(p, `${method} idle`);
  return memory;
}

function snapshot(done) {
  const usage = process.memoryUsage();
  return {
    cycles: done,
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    resources: process.getActiveResourcesInfo().length,
    childProcesses: childPids().length,
  };
}

/** `n` sequential start/join cycles of a no-op target, with memory after a full GC at checkpoints. */
async function cycles({ method, n, warmup, checkpoints }) {
  const Process = getContext(method).Process;
  const cycle = async () => {
    const p = new Process({ target: noop });
    p.start();
    await p.join();
    checkExit(p, `${method} cycle`);
  };
  for (let i = 0; i < warmup; i++) await cycle();
  await fullGc();
  const series = [snapshot(0)];
  const every = Math.max(1, Math.floor(n / checkpoints));
  const t0 = now();
  let busy = 0n;
  for (let i = 1; i <= n; i++) {
    const c0 = now();
    await cycle();
    busy += now() - c0;
    if (i % every === 0 || i === n) {
      await fullGc();
      series.push(snapshot(i));
      process.stderr.write(`${method}: ${i}/${n} cycles\n`);
    }
  }
  return { method, n, warmup, totalMs: msBetween(t0, now()), perCycleMs: Number(busy) / 1e6 / n, series };
}

/** Reads and removes a stamp file: the CLOCK_MONOTONIC instant a target began. */
function takeStamp(path) {
  const first = BigInt(readFileSync(path, 'utf8'));
  rmSync(path);
  return first;
}

/**
 * Starts one child for `kind`/`method` running the stamp target with `path`; returns a function
 * that waits for it to end (join). The start itself is synchronous, as `Process.start()` is.
 */
function launch(kind, method, path) {
  if (kind !== 'package') {
    const ended = startBare(kind, path, {});
    return async () => {
      const code = await ended;
      if (code !== 0) throw new Error(`${kind} ended with exit code ${code}`);
    };
  }
  const p = new (getContext(method).Process)({ target: stamp, args: [path] });
  p.start();
  return async () => {
    await p.join();
    checkExit(p, `${method} start`);
  };
}

/**
 * `n` children started at once (a synchronous loop of starts), then all joined: start of the first
 * -> the last child's first line, and -> all joined (ms).
 */
async function burst({ kind = 'package', method, n, dir, settleMs, tag }) {
  await sleep(settleMs);
  const paths = Array.from({ length: n }, (_, i) => `${dir}/node-burst-${kind}-${method}-${tag}-${i}`);
  const t0 = now();
  const joins = paths.map((path) => launch(kind, method, path));
  const t1 = now();
  await Promise.all(joins.map((join) => join()));
  const t2 = now();
  const firsts = paths.map(takeStamp);
  const last = firsts.reduce((a, b) => (b > a ? b : a));
  const earliest = firsts.reduce((a, b) => (b < a ? b : a));
  return { startCalls: msBetween(t0, t1), firstLine: msBetween(t0, earliest), lastFirstLine: msBetween(t0, last), join: msBetween(t0, t2) };
}

/** `n` starts in a row (start, join, next): each start -> first line and -> join, and the total (ms). */
async function sustained({ kind = 'package', method, n, dir, settleMs, tag }) {
  await sleep(settleMs);
  const firstLine = [];
  const cycle = [];
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const path = `${dir}/node-row-${kind}-${method}-${tag}-${i}`;
    const c0 = now();
    const join = launch(kind, method, path);
    await join();
    cycle.push(msBetween(c0, now()));
    firstLine.push(msBetween(c0, takeStamp(path)));
  }
  return { totalMs: msBetween(t0, now()), firstLine, cycle };
}

/**
 * A Pool whose workers each run one task (maxTasksPerChild 1), so every task after the first
 * few waits for a fresh worker: the pool's creation, its map of `tasks` items (chunksize 1), and
 * close + join, in ms.
 */
async function poolChurn({ method, processes, tasks, settleMs }) {
  await sleep(settleMs);
  const items = Array.from({ length: tasks }, (_, i) => i);
  const t0 = now();
  const pool = new (getContext(method).Pool)({ processes, maxTasksPerChild: 1 });
  const t1 = now();
  let results;
  try {
    results = await pool.map(square, items, { chunksize: 1 });
  } catch (error) {
    await pool.terminate();
    throw error;
  }
  const t2 = now();
  pool.close();
  await pool.join();
  const t3 = now();
  if (results.length !== tasks || results.some((r, i) => r !== i * i)) throw new Error(`${method} pool: wrong results`);
  return { create: msBetween(t0, t1), map: msBetween(t1, t2), closeJoin: msBetween(t2, t3), total: msBetween(t0, t3) };
}

function info() {
  return { cpuCount: cpuCount() };
}

await serve({ start, idleRss, cycles, burst, sustained, poolChurn, info });
