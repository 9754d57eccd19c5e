// Benchmark — Pool. multiprocessing-ts's Pool (ThreadPool = thread context, and the spawn
// context) side by side, in one run, with CPython 3.11's multiprocessing.Pool and the Node pools
// users pick instead: piscina, tinypool, workerpool, poolifier (threads, and processes where they
// have them). Cases: tiny-task throughput (100k `applyAsync(x * 2)` submitted at once, 2 workers);
// sequential `apply` latency p50/p99; `map` of 1M tiny items with the default chunksize; CPU-bound
// speedup on 2 workers (16 tasks of a ~20 ms integer loop vs the same run serially in the same
// runtime, with two floors: bare worker_threads, and the loop in C on two pthreads); memory of `imap` over an infinite generator for 10M items.
//
// Method: every sample runs in a fresh process (node-driver.mjs or python_driver.py) that starts
// its pool, warms it up (untimed), measures once and exits, so no library's workers or JIT state
// leak into another's numbers. Every round runs each case once, in an order rotated from round to
// round; reports give medians across rounds with p10–p90. The memory case runs once per start
// method (its numbers are a trace, not a speed).
//
// Options (node run.mjs pool --name=value): see DEFAULTS.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from '../../lib/chart.mjs';
import { MARK } from '../../lib/driver.mjs';
import { pythonExecutable, pythonVersion } from '../../lib/python.mjs';
import { RESULTS_DIR } from '../../lib/report.mjs';
import { rotate, summarize } from '../../lib/stats.mjs';
import { fmtMiB, markdownTable, targetsTable } from '../../lib/table.mjs';

export const title = 'Pool: multiprocessing-ts vs CPython multiprocessing.Pool, piscina, tinypool, workerpool, poolifier';
export const description =
  'tiny-task throughput (100k applyAsync at once), sequential apply latency, map of 1M items, CPU-bound speedup on 2 workers, imap memory over 10M items; vs CPython and the Node pools';

const DEFAULTS = {
  rounds: 5, // samples per case (each case once per round, rotated order)
  workers: 2,
  tasks: 100_000, // tiny tasks submitted at once per throughput sample
  warmup: 2_000, // untimed tiny tasks first (every worker busy, JIT warm)
  calls: 3_000, // sequential calls per latency sample
  callWarmup: 300,
  mapItems: 1_000_000,
  cpuTasks: 16,
  cpuRepeats: 3, // serial/pool pairs per sample, back to back (the median pair counts)
  cpuIterations: 20_000_000, // ~20 ms of the integer loop in Node here
  pyCpuIterations: 200_000, // ~20 ms of the same loop in CPython here
  memoryItems: 10_000_000,
  memoryChunksize: 1_000,
  memoryEvery: 250_000, // RSS read every this many results
  pyMethod: 'fork', // CPython 3.11's default start method on Linux
  anchors: true, // --anchors=false: only multiprocessing-ts and CPython
  pinning: true, // --pinning=false: no CPU-bound rows with pinned workers (Pool({ affinity }))
  groups: 'throughput,latency,map,cpu,memory',
  timeout: 300_000, // ms a sample may take
  retries: 2, // a sample whose process ends without an answer is tried again this often
  retryPause: 15_000, // ms before trying again
};

const GROUPS = ['throughput', 'latency', 'map', 'cpu', 'memory'];
const here = (file) => fileURLToPath(new URL(file, import.meta.url));

const TS_THREAD = { id: 'ts-thread', label: 'multiprocessing-ts ThreadPool (thread)', lang: 'node', lib: 'ts', mode: 'thread', kind: 'ours' };
const TS_SPAWN = { id: 'ts-spawn', label: 'multiprocessing-ts Pool (spawn)', lang: 'node', lib: 'ts', mode: 'spawn', kind: 'ours' };
const anchor = (lib, mode, label) => ({ id: `${lib}-${mode}`, label, lang: 'node', lib, mode, kind: 'anchor' });
/**
 * Our pools with their workers pinned (`Pool({ affinity })`): 'spread' puts each worker on a CPU of
 * its own, 'one-cpu' puts them all on CPU 0 (what pinning costs when it is done wrong).
 */
const PINNINGS = [
  { id: 'spread', label: "affinity 'spread' (a CPU each)", affinity: 'spread' },
  { id: 'one-cpu', label: 'affinity [[0], [0]] (both workers on CPU 0)', affinity: 'one-cpu' },
];
const pinned = (base) => PINNINGS.map((p) => ({ ...base, id: `${base.id}-${p.id}`, label: `${base.label}, ${p.label}`, affinity: p.affinity }));
const python = (label, config) => ({ id: 'py', label: `${label} (${config.pyMethod})`, lang: 'python', lib: 'cpython', mode: config.pyMethod, kind: 'python' });

function casesFor(config) {
  const anchors = config.anchors;
  const a = (...args) => (anchors ? [anchor(...args)] : []);
  return {
    throughput: [
      TS_THREAD,
      TS_SPAWN,
      ...a('piscina', 'thread', 'piscina (threads)'),
      ...a('tinypool', 'thread', 'tinypool (threads)'),
      ...a('tinypool', 'process', 'tinypool (child processes)'),
      ...a('workerpool', 'thread', 'workerpool (threads)'),
      ...a('workerpool', 'process', 'workerpool (processes)'),
      ...a('poolifier', 'thread', 'poolifier FixedThreadPool'),
      ...a('poolifier', 'cluster', 'poolifier FixedClusterPool (processes)'),
      python('CPython `Pool.apply_async`', config),
    ],
    latency: [TS_THREAD, TS_SPAWN, ...a('piscina', 'thread', 'piscina (threads) `run`'), python('CPython `Pool.apply`', config)],
    map: [TS_THREAD, TS_SPAWN, python('CPython `Pool.map`', config)],
    cpu: [
      TS_THREAD,
      TS_SPAWN,
      ...(config.pinning ? [...pinned(TS_THREAD), ...pinned(TS_SPAWN)] : []),
      ...a('piscina', 'thread', 'piscina (threads)'),
      { id: 'raw-thread', label: 'floor: two bare worker_threads, tasks round-robin, no pool', lang: 'node', lib: 'raw', mode: 'thread', kind: 'anchor' },
      { id: 'c-threads', label: 'floor: the same loop in C, two pthreads, no runtime', lang: 'c', lib: 'c', mode: 'thread', kind: 'anchor' },
      python('CPython `Pool.apply_async`', config),
    ],
    memory: [TS_THREAD, TS_SPAWN],
  };
}

/** The request a sample of group `group` sends to its driver. */
function requestFor(group, c, config) {
  const base = { lib: c.lib, mode: c.mode, workers: config.workers };
  switch (group) {
    case 'throughput':
      return { op: 'throughput', ...base, n: config.tasks, warmup: config.warmup };
    case 'latency':
      return { op: 'latency', ...base, n: config.calls, warmup: config.callWarmup };
    case 'map':
      return { op: 'map', ...base, n: config.mapItems };
    case 'cpu':
      return { op: 'cpu', ...base, affinity: c.affinity ?? null, tasks: config.cpuTasks, repeats: config.cpuRepeats, iterations: c.lang === 'python' ? config.pyCpuIterations : config.cpuIterations };
    case 'memory':
      return { op: 'memory', ...base, n: config.memoryItems, chunksize: config.memoryChunksize, every: config.memoryEvery };
    default:
      throw new Error(`unknown group ${group}`);
  }
}

/** Runs one sample in a fresh driver process; resolves with its result. */
function sample(c, request, timeout) {
  const [command, args] =
    c.lang === 'python'
      ? [pythonExecutable(), ['-u', here('./python_driver.py'), JSON.stringify(request)]]
      : c.lang === 'c'
        ? [c.binary, [request.tasks, request.iterations, request.workers, request.repeats].map(String)]
        : [process.execPath, [here('./node-driver.mjs'), JSON.stringify(request)]];
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }, (error, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith(MARK));
      if (!line) {
        const how = error ? `exit code ${error.code}, signal ${error.signal}${error.killed ? ', killed after the timeout' : ''}` : 'exited';
        reject(new Error(`${c.id} ${request.op}: no answer (${how})\n${stderr.split('\n').slice(-20).join('\n')}`));
        return;
      }
      const answer = JSON.parse(line.slice(MARK.length));
      if (answer.error) reject(new Error(`${c.id} ${request.op}: ${answer.error}`));
      else resolve(answer.result);
    });
  });
}

/**
 * A sample, tried again (up to `retries` times) when its process ends without an answer: a crash
 * of one library's pool costs that sample, not the run. Failures are listed in the report.
 */
async function sampleWithRetry(c, request, config, failures, log) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await sample(c, request, config.timeout);
    } catch (error) {
      const message = String(error?.message ?? error).split('\n')[0].replace(`${c.id} ${request.op}: `, '');
      failures.push({ id: c.id, op: request.op, attempt: attempt + 1, message });
      log(`sample failed (attempt ${attempt + 1}): ${message}`);
      if (attempt >= config.retries) return null;
      // A package rebuilt in the middle of a run (dist/ half written) heals in seconds.
      await new Promise((resolve) => setTimeout(resolve, config.retryPause));
    }
  }
}

/** The number a sample contributes to its case's median. */
const VALUE = {
  throughput: (r) => r.tasksPerSecond,
  latency: (r) => r.p50,
  map: (r) => r.itemsPerSecond,
  cpu: (r) => r.speedup,
  memory: (r) => r.rss.max.parent,
};

// Goals of the issue. 'faster': ours / theirs >= goal (rates; speedups). 'lower': theirs / ours > goal (latencies).
const TARGETS = [
  { what: 'thread: tiny-task throughput vs poolifier (threads)', group: 'throughput', ours: 'ts-thread', theirs: 'poolifier-thread', kind: 'faster', goal: 2, goalText: '≥ 2x' },
  { what: 'thread: tiny-task throughput vs piscina', group: 'throughput', ours: 'ts-thread', theirs: 'piscina-thread', kind: 'faster', goal: 4, goalText: '≥ 4x' },
  { what: 'thread: `apply` latency p50 vs piscina `run` (theirs / ours)', group: 'latency', ours: 'ts-thread', theirs: 'piscina-thread', kind: 'lower', goal: 1, goalText: '> 1x (below piscina)' },
  { what: 'spawn: tiny-task throughput vs CPython `apply_async`', group: 'throughput', ours: 'ts-spawn', theirs: 'py', kind: 'faster', goal: 3, goalText: '≥ 3x' },
  { what: 'spawn: `apply` latency p50 vs CPython `apply` (theirs / ours)', group: 'latency', ours: 'ts-spawn', theirs: 'py', kind: 'lower', goal: 1, goalText: '> 1x (below CPython)' },
  { what: 'spawn: `map` of 1M tiny items, items/s vs CPython `map`', group: 'map', ours: 'ts-spawn', theirs: 'py', kind: 'faster', goal: 1, goalText: '≥ 1x' },
  { what: 'thread: `map` of 1M tiny items, items/s vs CPython `map`', group: 'map', ours: 'ts-thread', theirs: 'py', kind: 'faster', goal: 1, goalText: '≥ 1x' },
  { what: 'thread: CPU-bound speedup on 2 workers', group: 'cpu', ours: 'ts-thread', kind: 'absolute', goal: 1.9, goalText: '≥ 1.9x' },
  { what: 'spawn: CPU-bound speedup on 2 workers', group: 'cpu', ours: 'ts-spawn', kind: 'absolute', goal: 1.9, goalText: '≥ 1.9x' },
];
const INFO = [
  { what: 'spawn: tiny-task throughput vs poolifier (cluster processes)', group: 'throughput', ours: 'ts-spawn', theirs: 'poolifier-cluster', kind: 'faster' },
  { what: 'spawn: tiny-task throughput vs tinypool (child processes)', group: 'throughput', ours: 'ts-spawn', theirs: 'tinypool-process', kind: 'faster' },
  { what: 'spawn: tiny-task throughput vs workerpool (processes)', group: 'throughput', ours: 'ts-spawn', theirs: 'workerpool-process', kind: 'faster' },
  { what: 'thread: tiny-task throughput vs CPython `apply_async`', group: 'throughput', ours: 'ts-thread', theirs: 'py', kind: 'faster' },
  { what: 'spawn: `apply` latency p50 vs piscina `run` (theirs / ours)', group: 'latency', ours: 'ts-spawn', theirs: 'piscina-thread', kind: 'lower' },
  { what: "thread, workers pinned with affinity 'spread': CPU-bound speedup on 2 workers", group: 'cpu', ours: 'ts-thread-spread', kind: 'absolute' },
  { what: "spawn, workers pinned with affinity 'spread': CPU-bound speedup on 2 workers", group: 'cpu', ours: 'ts-spawn-spread', kind: 'absolute' },
  { what: 'thread, both workers pinned to CPU 0: CPU-bound speedup', group: 'cpu', ours: 'ts-thread-one-cpu', kind: 'absolute' },
  { what: 'spawn, both workers pinned to CPU 0: CPU-bound speedup', group: 'cpu', ours: 'ts-spawn-one-cpu', kind: 'absolute' },
  { what: 'CPython CPU-bound speedup on 2 workers', group: 'cpu', ours: 'py', kind: 'absolute' },
  { what: 'piscina CPU-bound speedup on 2 workers', group: 'cpu', ours: 'piscina-thread', kind: 'absolute' },
  { what: 'floor: CPU-bound speedup of two bare worker_threads (no pool)', group: 'cpu', ours: 'raw-thread', kind: 'absolute' },
  { what: 'floor: CPU-bound speedup of the loop in C on two pthreads', group: 'cpu', ours: 'c-threads', kind: 'absolute' },
];

/**
 * Builds the C floor of the CPU case (cpu-floor.c) into a temporary folder; returns its path and
 * a cleanup, or null (the row is left out, with a log line) where no C compiler answers.
 */
function buildCFloor(log) {
  const dir = mkdtempSync(join(tmpdir(), 'mp-bench-cpu-floor-'));
  const binary = join(dir, 'cpu-floor');
  try {
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-pthread', here('./cpu-floor.c'), '-o', binary], { stdio: 'pipe' });
    return { binary, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    log(`no C floor row: compiling cpu-floor.c failed (${String(error?.message ?? error).split('\n')[0]})`);
    return null;
  }
}

export async function run({ options, log }) {
  const config = { ...DEFAULTS, ...options };
  if (pythonVersion() === null) throw new Error(`no Python interpreter at ${pythonExecutable()}: install python3 or set PYTHON=/path/to/python3`);
  const selected = String(config.groups).split(',').map((g) => g.trim());
  const unknown = selected.filter((g) => !GROUPS.includes(g));
  if (unknown.length > 0) throw new Error(`unknown group ${unknown.join(', ')}; groups: ${GROUPS.join(', ')}`);
  const groups = casesFor(config);
  for (const g of GROUPS) if (!selected.includes(g)) groups[g] = [];
  const cFloor = groups.cpu.length > 0 ? buildCFloor(log) : null;
  groups.cpu = groups.cpu.flatMap((c) => (c.lang !== 'c' ? [c] : cFloor ? [{ ...c, binary: cFloor.binary }] : []));
  try {
    return await runCases(config, groups, log);
  } finally {
    cFloor?.cleanup();
  }
}

async function runCases(config, groups, log) {
  const samples = {};
  for (const g of GROUPS) {
    samples[g] = {};
    for (const c of groups[g]) samples[g][c.id] = [];
  }
  const loads = [];
  const failures = [];
  for (let round = 0; round < config.rounds; round++) {
    for (const group of GROUPS.filter((g) => g !== 'memory')) {
      for (const c of rotate(groups[group], round)) {
        const result = await sampleWithRetry(c, requestFor(group, c, config), config, failures, log);
        if (result !== null) samples[group][c.id].push({ value: VALUE[group](result), ...result });
      }
    }
    loads.push(loadavg()[0]);
    const latest = GROUPS.filter((g) => g !== 'memory')
      .flatMap((g) => groups[g].map((c) => `${g}:${c.id} ${fmtValue(g, samples[g][c.id].at(-1)?.value)}`))
      .join(', ');
    log(`round ${round + 1}/${config.rounds} (load ${loads.at(-1).toFixed(2)}): ${latest}`);
  }
  for (const c of groups.memory) {
    log(`memory: imap over an infinite generator, ${config.memoryItems.toLocaleString('en-US')} items, ${c.id}`);
    const result = await sampleWithRetry(c, requestFor('memory', c, config), config, failures, log);
    if (result !== null) samples.memory[c.id].push({ value: VALUE.memory(result), ...result });
  }
  return report({ config, groups, samples, loads, failures, loadAtEnd: loadavg().map((v) => Number(v.toFixed(2))) });
}

function fmtValue(group, value) {
  if (!Number.isFinite(value)) return '-';
  if (group === 'throughput' || group === 'map') return Math.round(value).toLocaleString('en-US');
  if (group === 'latency') return value.toFixed(value >= 100 ? 0 : 1);
  if (group === 'cpu') return `${value.toFixed(2)}x`;
  return fmtMiB(value);
}

function report({ config, groups, samples, loads, failures, loadAtEnd }) {
  const summaries = {};
  for (const g of GROUPS) {
    summaries[g] = {};
    for (const c of groups[g]) summaries[g][c.id] = summarize(samples[g][c.id].map((s) => s.value));
  }
  const med = (g, id) => summaries[g][id]?.median ?? NaN;
  const ratioOf = (r) => (r.kind === 'absolute' ? med(r.group, r.ours) : r.kind === 'faster' ? med(r.group, r.ours) / med(r.group, r.theirs) : med(r.group, r.theirs) / med(r.group, r.ours));
  const targets = TARGETS.map((t) => {
    const ratio = ratioOf(t);
    const met = !Number.isFinite(ratio) ? null : t.kind === 'lower' ? ratio > t.goal : ratio >= t.goal;
    return { ...t, ratio, met };
  });
  const info = INFO.map((r) => ({ ...r, ratio: ratioOf(r) })).filter((r) => Number.isFinite(r.ratio));
  const spread = (g, id, fmt = (v) => fmtValue(g, v)) => {
    const s = summaries[g][id];
    return s.n > 1 ? `${fmt(s.median)} (${fmt(s.p10)}–${fmt(s.p90)})` : fmt(s.median);
  };
  const medianOf = (g, id, key) => (samples[g][id].length > 0 ? summarize(samples[g][id].map((s) => s[key])).median : NaN);
  const loadRange = `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`;

  const sections = [];
  sections.push(
    `Method: every sample runs in a fresh process that starts a pool of ${config.workers} workers, warms it up (untimed: ` +
      `${config.warmup.toLocaleString('en-US')} tiny tasks, so every worker has run code), measures once and exits. ${config.rounds} rounds, each running ` +
      `every case once in an order rotated from round to round; medians across rounds with p10–p90 in parentheses. Tasks are ` +
      `the same functions everywhere (\`targets.mjs\`; CPython: the same loop in Python), results are checked. CPython uses its ` +
      `default start method on Linux (${config.pyMethod}); start-up is not timed, so the start method does not matter here. ` +
      `1-minute load average after each round: ${loadRange} (end: ${loadAtEnd.join(' / ')}) on ${config.workers === 2 ? 'this 2-core machine' : 'this machine'}: ` +
      `other work was running, so compare rows of the same run only.`,
  );

  sections.push('## Targets (ratios of medians)');
  sections.push(
    targetsTable(targets, info),
  );
  sections.push('Throughput rows: our tasks/s / theirs. Latency rows: their p50 / ours (above 1x = ours lower). Speedup rows: serial time / pool time.');

  if (groups.throughput.length > 0) {
    sections.push('## Tiny-task throughput: 100k calls submitted at once');
    sections.push(
      `${config.tasks.toLocaleString('en-US')} calls of \`x * 2\` submitted in one loop (one call per task: \`applyAsync\`, ` +
        `\`run\`, \`exec\`, \`execute\`, \`apply_async\`), then all results awaited; tasks/s from the first submission to the last result.`,
    );
    sections.push(
      markdownTable(
        ['pool', 'tasks/s', 'ms', 'n'],
        groups.throughput.map((c) => [c.label, spread('throughput', c.id), medianOf('throughput', c.id, 'ms').toFixed(0), summaries.throughput[c.id].n]),
      ),
    );
  }
  if (groups.latency.length > 0) {
    sections.push('## Sequential call latency');
    sections.push(
      `${config.calls.toLocaleString('en-US')} awaited calls one after another (after ${config.callWarmup} untimed): \`await pool.apply(double, [i])\`, ` +
        `piscina \`await pool.run(i)\`, CPython \`pool.apply(double, (i,))\`. p50 and p99 of each sample in µs; the table gives their medians across rounds.`,
    );
    sections.push(
      markdownTable(
        ['pool', 'p50 µs', 'p99 µs', 'mean µs', 'n'],
        groups.latency.map((c) => [
          c.label,
          spread('latency', c.id),
          medianOf('latency', c.id, 'p99').toFixed(0),
          medianOf('latency', c.id, 'mean').toFixed(0),
          summaries.latency[c.id].n,
        ]),
      ),
    );
  }
  if (groups.map.length > 0) {
    sections.push('## `map` of 1M tiny items, default chunksize');
    sections.push(
      `\`pool.map(double, items)\` over an array of ${config.mapItems.toLocaleString('en-US')} integers built before timing; default chunksize ` +
        `(CPython's rule, ~4 chunks per worker: ${Math.ceil(config.mapItems / (config.workers * 4)).toLocaleString('en-US')} items).`,
    );
    sections.push(
      markdownTable(
        ['pool', 'items/s', 'ms', 'n'],
        groups.map.map((c) => [c.label, spread('map', c.id), medianOf('map', c.id, 'ms').toFixed(0), summaries.map[c.id].n]),
      ),
    );
  }
  if (groups.cpu.length > 0) {
    sections.push('## CPU-bound speedup on 2 workers');
    sections.push(
      `${config.cpuTasks} tasks of an integer loop (Node: ${config.cpuIterations.toLocaleString('en-US')} iterations; CPython: ` +
        `${config.pyCpuIterations.toLocaleString('en-US')}, so a task takes about as long), run one after another in the driver's own thread ` +
        `(serial), then submitted at once to the pool (the C floor: the same loop compiled with \`cc -O2\`, taken by two pthreads ` +
        `from a shared counter); ${config.cpuRepeats} such pairs back to back per sample (the median pair counts), ` +
        `so both halves of a pair see the same machine. Speedup = serial / pool (2.0x is the limit on 2 cores, only reached when ` +
        `nothing else runs on the machine).`,
    );
    sections.push(
      markdownTable(
        ['pool', 'speedup', 'ms per task (serial)', 'serial ms', 'pool ms', 'n'],
        groups.cpu.map((c) => [
          c.label,
          spread('cpu', c.id),
          medianOf('cpu', c.id, 'taskMs').toFixed(1),
          medianOf('cpu', c.id, 'serialMs').toFixed(0),
          medianOf('cpu', c.id, 'poolMs').toFixed(0),
          summaries.cpu[c.id].n,
        ]),
      ),
    );
  }
  if (groups.memory.length > 0) {
    sections.push('## Memory: `imap` over an infinite generator');
    sections.push(
      `\`for await (const r of pool.imap(double, naturals(), { chunksize: ${config.memoryChunksize} }))\`, where \`naturals()\` is an ` +
        `endless generator, stopped with \`break\` after ${config.memoryItems.toLocaleString('en-US')} results. RSS read every ` +
        `${config.memoryEvery.toLocaleString('en-US')} results (thread: the whole process, workers included; spawn: the parent, ` +
        `and the two worker processes summed). CPython's \`imap\` is not measured: its task thread reads the whole input ` +
        `before anything else, so on an endless generator it never returns and its memory grows until the machine runs out.`,
    );
    sections.push(
      markdownTable(
        ['pool', 'items/s', 'RSS start', 'RSS end', 'RSS max', 'JS heap used start → max', 'workers RSS start → max'],
        groups.memory.filter((c) => samples.memory[c.id].length > 0).map((c) => {
          const r = samples.memory[c.id][0];
          return [
            c.label,
            Math.round(r.itemsPerSecond).toLocaleString('en-US'),
            fmtMiB(r.rss.start.parent),
            fmtMiB(r.rss.end.parent),
            fmtMiB(r.rss.max.parent),
            `${fmtMiB(r.rss.start.heap)} → ${fmtMiB(r.rss.max.heap)}`,
            c.mode === 'thread' ? '(in the process)' : `${fmtMiB(r.rss.start.workers)} → ${fmtMiB(r.rss.max.workers)}`,
          ];
        }),
      ),
    );
    const traces = groups.memory.filter((c) => samples.memory[c.id].length > 0).map((c) => {
      const r = samples.memory[c.id][0];
      return `- ${c.label}: ${r.trace.map((b) => (b / 2 ** 20).toFixed(0)).join(', ')} MiB`;
    });
    sections.push(`RSS traces (every ${config.memoryEvery.toLocaleString('en-US')} results):\n\n${traces.join('\n')}`);
  }

  if (failures.length > 0) {
    sections.push('## Failed samples');
    sections.push(
      'Samples whose process ended without an answer (each was tried again, up to ' +
        `${config.retries} times; a case with fewer samples than rounds lost some):\n\n` +
        failures.map((f) => `- ${f.id} ${f.op}, attempt ${f.attempt}: ${f.message}`).join('\n'),
    );
  }

  const chart = chartOf({ config, groups, summaries, samples, loadRange });
  const svg = `${RESULTS_DIR}pool.svg`;
  writeFileSync(svg, renderChart(chart));
  sections.push(`Chart: [\`pool.svg\`](pool.svg) (redraw from this run's JSON: \`node lib/chart.mjs results/pool.json\`).`);

  const clean = (g) => groups[g].map((c) => ({ id: c.id, label: c.label, lang: c.lang, lib: c.lib, mode: c.mode, summary: summaries[g][c.id], samples: samples[g][c.id] }));
  return {
    markdown: sections.join('\n\n'),
    json: {
      config,
      loads,
      loadAtEnd,
      failures,
      units: { throughput: 'tasks/s', latency: 'µs (p50 per sample)', map: 'items/s', cpu: 'speedup (serial / pool)', memory: 'bytes (max parent RSS)' },
      ...Object.fromEntries(GROUPS.map((g) => [g, clean(g)])),
      targets: targets.map(({ what, group, ours, theirs, kind, goal, goalText, ratio, met }) => ({ what, group, ours, theirs, kind, goal, goalText, ratio, met })),
      ratios: info.map(({ what, group, ours, theirs, kind, ratio }) => ({ what, group, ours, theirs, kind, ratio })),
      chart,
    },
  };
}

/** The chart's panels: medians of every case, one panel per group. */
function chartOf({ config, groups, summaries, samples, loadRange }) {
  const bars = (g) => groups[g].map((c) => ({ label: c.label.replace(/`/g, ''), value: summaries[g][c.id].median, kind: c.kind }));
  const panels = [];
  if (groups.throughput.length > 0) panels.push({ title: `Tiny-task throughput, ${config.tasks.toLocaleString('en-US')} calls at once (tasks/s, higher is better)`, bars: bars('throughput') });
  if (groups.latency.length > 0) panels.push({ title: 'Sequential call latency p50 (µs, lower is better)', unit: 'µs', bars: bars('latency') });
  if (groups.map.length > 0) panels.push({ title: `map of ${config.mapItems.toLocaleString('en-US')} tiny items, default chunksize (items/s)`, bars: bars('map') });
  if (groups.cpu.length > 0) panels.push({ title: `CPU-bound speedup, ${config.cpuTasks} tasks of ~20 ms on 2 workers (x)`, unit: 'x', goal: { value: 1.9, label: 'goal 1.9x' }, bars: bars('cpu') });
  if (groups.memory.length > 0) {
    panels.push({
      title: `imap over an endless generator, ${config.memoryItems.toLocaleString('en-US')} items: parent RSS (MiB)`,
      unit: 'MiB',
      bars: groups.memory.filter((c) => samples.memory[c.id].length > 0).flatMap((c) => {
        const r = samples.memory[c.id][0];
        return [
          { label: `${c.label}: start`, value: r.rss.start.parent / 2 ** 20, kind: 'ours' },
          { label: `${c.label}: max`, value: r.rss.max.parent / 2 ** 20, kind: 'ours' },
        ];
      }),
    });
  }
  return {
    title: 'Pool, 2 workers: multiprocessing-ts vs CPython and Node pools',
    subtitle: `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, CPython ${pythonVersion()}, medians of ${config.rounds} rounds; load average ${loadRange} on 2 cores`,
    panels,
  };
}
