// Measures one pool case in a fresh Node process: `node node-driver.mjs '<json request>'` prints
// one line `@bench:{"result": ...}` (or `{"error": ...}`) and exits. Every case gets a process of
// its own, so no library's workers, JIT state or heap carry over into another's numbers.
//
// A request is { op, lib, mode, ...params }. lib: 'ts' (multiprocessing-ts; mode 'thread' =
// ThreadPool, 'spawn' = Pool on the spawn context), 'piscina', 'tinypool' (mode 'thread' or
// 'process'), 'workerpool' ('thread' or 'process'), 'poolifier' ('thread' or 'cluster'), 'raw'
// (mode 'thread': bare worker_threads, round-robin, the floor of the CPU-bound case).
// Pool start-up is never timed: each case starts its pool, warms it up (every worker has run
// tasks), then measures.
import { fileURLToPath } from 'node:url';
import { MARK } from '../../lib/driver.mjs';
import * as mp from '../../lib/package.mjs';
import { memoryOf } from '../../lib/procfs.mjs';
import { double, spin } from './targets.mjs';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const now = () => process.hrtime.bigint();
const msSince = (t0) => Number(now() - t0) / 1e6;

/**
 * A pool of `workers` workers of library `lib` in `mode`, behind one shape:
 * run(name, x) -> Promise of the result of task `name` ('double' or 'spin') on x; close().
 */
async function openPool(lib, mode, workers, affinity = null) {
  switch (lib) {
    case 'ts': {
      // affinity (the CPU-bound case): 'spread', or 'one-cpu' for every worker on CPU 0.
      const pin = affinity === 'one-cpu' ? Array.from({ length: workers }, () => [0]) : affinity;
      const pool = mode === 'thread' ? new mp.ThreadPool({ processes: workers, affinity: pin }) : new mp.Pool({ processes: workers, context: mode, affinity: pin });
      const fns = { double, spin };
      return {
        pool,
        run: (name, x) => pool.applyAsync(fns[name], [x]),
        workerPids: () => (mode === 'thread' ? [] : pool.workers.map((w) => w.pid)),
        close: () => pool.terminate(),
      };
    }
    case 'piscina': {
      const { Piscina } = await import('piscina');
      const pool = new Piscina({ filename: here('./piscina-worker.mjs'), minThreads: workers, maxThreads: workers });
      return {
        run: (name, x) => (name === 'double' ? pool.run(x) : pool.run(x, { name })),
        close: () => pool.destroy(),
      };
    }
    case 'tinypool': {
      const { Tinypool } = await import('tinypool');
      const pool = new Tinypool({
        filename: here('./piscina-worker.mjs'),
        minThreads: workers,
        maxThreads: workers,
        runtime: mode === 'process' ? 'child_process' : 'worker_threads',
      });
      return {
        run: (name, x) => (name === 'double' ? pool.run(x) : pool.run(x, { name })),
        close: () => pool.destroy(),
      };
    }
    case 'workerpool': {
      const { default: workerpool } = await import('workerpool');
      const pool = workerpool.pool(here('./workerpool-worker.mjs'), { minWorkers: workers, maxWorkers: workers, workerType: mode });
      return { run: (name, x) => pool.exec(name, [x]), close: () => pool.terminate(true) };
    }
    case 'poolifier': {
      const { FixedThreadPool, FixedClusterPool } = await import('poolifier');
      const pool =
        mode === 'cluster'
          ? new FixedClusterPool(workers, here('./poolifier-cluster-worker.cjs'))
          : new FixedThreadPool(workers, here('./poolifier-thread-worker.mjs'));
      return { run: (name, x) => pool.execute(x, name), close: () => pool.destroy() };
    }
    case 'raw': {
      // The floor: bare worker_threads, tasks handed out round-robin (even for equal tasks).
      const { Worker } = await import('node:worker_threads');
      const threads = Array.from({ length: workers }, () => new Worker(here('./raw-thread-worker.mjs')));
      const pending = new Map();
      for (const t of threads) t.on('message', ([id, result]) => pending.get(id)?.(result));
      let next = 0;
      return {
        run: (name, x) =>
          new Promise((resolve) => {
            const id = next++;
            pending.set(id, (result) => {
              pending.delete(id);
              resolve(result);
            });
            threads[id % threads.length].postMessage([id, name, x]);
          }),
        close: () => Promise.all(threads.map((t) => t.terminate())),
      };
    }
    default:
      throw new Error(`unknown pool library ${lib}`);
  }
}

/** Every worker busy at least once: `rounds` x (2 x workers) tiny tasks at once, awaited. */
async function warm(p, workers, tasks = 2000) {
  const all = [];
  for (let i = 0; i < tasks; i++) all.push(p.run('double', i));
  const results = await Promise.all(all);
  if (results[tasks - 1] !== 2 * (tasks - 1)) throw new Error(`warm-up: wrong result ${results[tasks - 1]}`);
}

/** `n` tiny tasks submitted at once (one call each), all awaited: tasks/s. */
async function throughput({ lib, mode, workers, n, warmup }) {
  const p = await openPool(lib, mode, workers);
  try {
    await warm(p, workers, warmup);
    const t0 = now();
    const all = new Array(n);
    for (let i = 0; i < n; i++) all[i] = p.run('double', i);
    const results = await Promise.all(all);
    const ms = msSince(t0);
    let sum = 0;
    for (const r of results) sum += r;
    if (sum !== n * (n - 1)) throw new Error(`throughput: results sum to ${sum}, not ${n * (n - 1)}`);
    return { tasksPerSecond: n / (ms / 1000), ms };
  } finally {
    await p.close();
  }
}

/** `n` sequential awaited calls after `warmup` untimed ones: latency of each, p50/p99 in µs. */
async function latency({ lib, mode, workers, n, warmup }) {
  const p = await openPool(lib, mode, workers);
  const call = lib === 'ts' ? (x) => p.pool.apply(double, [x]) : (x) => p.run('double', x);
  try {
    await warm(p, workers, 200);
    for (let i = 0; i < warmup; i++) await call(i);
    const us = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t0 = now();
      const r = await call(i);
      us[i] = Number(now() - t0) / 1000;
      if (r !== 2 * i) throw new Error(`latency: wrong result ${r} for ${i}`);
    }
    us.sort();
    const q = (f) => us[Math.min(n - 1, Math.floor(f * n))];
    return { p50: q(0.5), p99: q(0.99), mean: us.reduce((a, b) => a + b, 0) / n };
  } finally {
    await p.close();
  }
}

/** `map` of `n` tiny items (an array built before timing) with the default chunksize: items/s. */
async function map({ lib, mode, workers, n }) {
  if (lib !== 'ts') throw new Error('map: multiprocessing-ts only');
  const p = await openPool(lib, mode, workers);
  try {
    await warm(p, workers, 200);
    const items = Array.from({ length: n }, (_, i) => i);
    await p.pool.map(double, items.slice(0, 10_000));
    const t0 = now();
    const results = await p.pool.map(double, items);
    const ms = msSince(t0);
    if (results.length !== n || results[n - 1] !== 2 * (n - 1)) throw new Error('map: wrong results');
    return { itemsPerSecond: n / (ms / 1000), ms };
  } finally {
    await p.close();
  }
}

/**
 * CPU-bound: `tasks` x spin(iterations) run one after another in this thread (serial), then the
 * same tasks submitted at once to the pool; `repeats` such pairs, back to back, so both halves of
 * a pair see the same machine. Speedup = serial time / pool time, the median of the pairs'.
 * `affinity` pins our pool's workers (the serial half runs unpinned, in this thread).
 */
async function cpu({ lib, mode, workers, tasks, iterations, repeats = 1, affinity = null }) {
  if (affinity !== null && lib !== 'ts') throw new Error('cpu: affinity is for multiprocessing-ts only');
  const p = await openPool(lib, mode, workers, affinity);
  try {
    await warm(p, workers, 200);
    const expected = spin(iterations);
    for (let i = 0; i < 2; i++) spin(iterations);
    await Promise.all(Array.from({ length: 2 * workers }, () => p.run('spin', iterations)));
    const pairs = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = now();
      for (let i = 0; i < tasks; i++) if (spin(iterations) !== expected) throw new Error('cpu: serial result changed');
      const serialMs = msSince(t0);
      const t1 = now();
      const results = await Promise.all(Array.from({ length: tasks }, () => p.run('spin', iterations)));
      const poolMs = msSince(t1);
      if (results.some((x) => x !== expected)) throw new Error('cpu: a pool result differs from the serial one');
      pairs.push({ serialMs, poolMs, speedup: serialMs / poolMs });
    }
    pairs.sort((a, b) => a.speedup - b.speedup);
    const mid = pairs[(pairs.length - 1) >> 1];
    return { ...mid, taskMs: mid.serialMs / tasks, speedups: pairs.map((x) => x.speedup) };
  } finally {
    await p.close();
  }
}

/**
 * `imap` over an infinite generator, stopped after `n` results: RSS of this process (and, for
 * processes, of the workers) read every `every` results: start, end and maximum. The numbers
 * prove the input is read lazily: the generator never ends, so an eager reader never returns.
 */
async function memory({ lib, mode, workers, n, chunksize, every }) {
  if (lib !== 'ts') throw new Error('memory: multiprocessing-ts only');
  const p = await openPool(lib, mode, workers);
  try {
    await warm(p, workers, 200);
    function* naturals() {
      for (let i = 0; ; i++) yield i;
    }
    const rssNow = () => {
      const workersRss = p.workerPids().reduce((sum, pid) => sum + memoryOf(pid).vmRss, 0);
      return { parent: process.memoryUsage.rss(), heap: process.memoryUsage().heapUsed, workers: workersRss };
    };
    const start = rssNow();
    const samples = [start];
    let count = 0;
    let sum = 0;
    const t0 = now();
    for await (const r of p.pool.imap(double, naturals(), { chunksize })) {
      sum += r;
      count += 1;
      if (count % every === 0) samples.push(rssNow());
      if (count === n) break;
    }
    const ms = msSince(t0);
    if (sum !== n * (n - 1)) throw new Error(`memory: results sum to ${sum}, not ${n * (n - 1)}`);
    const end = rssNow();
    const max = (key) => Math.max(...samples.map((s) => s[key]));
    return {
      items: count,
      itemsPerSecond: n / (ms / 1000),
      rss: { start, end, max: { parent: max('parent'), heap: max('heap'), workers: max('workers') } },
      trace: samples.map((s) => s.parent),
    };
  } finally {
    await p.close();
  }
}

const OPS = { throughput, latency, map, cpu, memory };

const request = JSON.parse(process.argv[2] ?? '{}');
let answer;
try {
  if (!(request.op in OPS)) throw new Error(`unknown op ${request.op}`);
  answer = { result: await OPS[request.op](request) };
} catch (error) {
  answer = { error: error?.stack ?? String(error) };
}
process.stdout.write(`${MARK}${JSON.stringify(answer)}\n`);
// Some pools keep handles after destroy(): the answer is out, so leave now.
process.exit(0);
