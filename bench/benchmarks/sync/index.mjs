// Benchmark — synchronization and shared memory. Side by side with CPython's multiprocessing in one
// run: an uncontended Lock acquire+release pair; two processes x N lock/increment/unlock on a
// shared counter (exact, or the run fails); hand-off round trips between a parent and one child
// (Event ping-pong, Semaphore ping-pong), with the Sync twins and with `await`.
//
// Method: one long-lived driver per language (node-driver.mjs, python_driver.py). Every round runs
// each case once, in an order rotated from round to round, so slow drifts on the machine spread
// over all cases; reports give medians across rounds with p10–p90. Contended workers and ping-pong
// children are spawned per sample, but only their steady work is timed: contending workers wait at
// a gate until both are running and stamp CLOCK_MONOTONIC around their loops; ping-pong runs
// `warmup` untimed round trips first.
//
// Options (node run.mjs sync --name=value): see DEFAULTS.
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Driver } from '../../lib/driver.mjs';
import { startPythonDriver } from '../../lib/python.mjs';
import { rotate, summarize } from '../../lib/stats.mjs';
import { markdownTable, targetsTable } from '../../lib/table.mjs';

/** How long the package's Sync twins spin before sleeping (read from the build measured). */
const { SPIN_LIMIT_US } = await import('../../../dist/synchronize/futex.js').catch(() => ({ SPIN_LIMIT_US: '?' }));

export const title = 'Synchronization and shared memory: multiprocessing-ts vs CPython multiprocessing';
export const description =
  'uncontended Lock pairs; 2 processes x 1,000,000 lock/increment/unlock on a shared counter; Event/Semaphore ping-pong round trips, sync and async; vs CPython';

const DEFAULTS = {
  rounds: 7, // samples per case (each case once per round, rotated order)
  pairs: 1_000_000, // uncontended pairs per batch
  batches: 3, // uncontended batches per round (each one sample)
  iterations: 1_000_000, // lock/increment/unlock per contending process
  trips: 10_000, // timed round trips per ping-pong sample
  warmupTrips: 1_000, // untimed round trips first
  threads: true, // --threads=false skips the thread-children rows (information only)
  groups: 'uncontended,contended,trips', // which parts to run (comma-separated)
};

const GROUPS = ['uncontended', 'contended', 'trips'];

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

function casesFor(features, config) {
  const uncontended = [
    { id: 'ts-lock-sync', label: 'multiprocessing-ts `Lock`: `acquireSync()` + `release()`', lang: 'node', params: { mode: 'sync' } },
    { id: 'ts-lock-async', label: 'multiprocessing-ts `Lock`: `await acquire()` + `release()`', lang: 'node', params: { mode: 'async' } },
    { id: 'py-lock', label: 'CPython `mp.Lock`: `acquire()` + `release()`', lang: 'python', params: { mode: 'sync' } },
    { id: 'floor-atomics', label: 'floor: `Atomics.compareExchange` + `Atomics.store` on a shared word, no class', lang: 'node', params: { mode: 'atomics' } },
  ];
  const contended = [
    { id: 'ts-spawn', label: 'multiprocessing-ts, 2 spawn children, `Lock`', lang: 'node', params: { method: 'spawn' } },
    { id: 'py-spawn', label: 'CPython, 2 spawn children, `mp.Lock`', lang: 'python', params: { method: 'spawn' } },
  ];
  if (config.threads) contended.push({ id: 'ts-thread', label: 'multiprocessing-ts, 2 thread children, `Lock`', lang: 'node', params: { method: 'thread' } });
  const trips = [];
  const tsTrip = (kind, mode, method) => ({
    id: `ts-${kind}-${mode}-${method}`,
    label: `multiprocessing-ts ${kind === 'event' ? 'two `Event`s' : 'two `Semaphore(0)`s'}, ${mode === 'sync' ? 'Sync twins' : '`await`'}, ${method} child`,
    lang: 'node',
    params: { kind, mode, method },
  });
  for (const [kind, available] of [['event', features.Event], ['semaphore', features.Semaphore]]) {
    if (!available) continue;
    for (const mode of ['sync', 'async']) {
      trips.push(tsTrip(kind, mode, 'spawn'));
      if (config.threads) trips.push(tsTrip(kind, mode, 'thread'));
    }
  }
  if (features.futex) {
    trips.push({ id: 'floor-futex-spawn', label: 'floor: bare futex wait/wake on two shared words (the addon, no class), spawn child', lang: 'node', params: { kind: 'futex', mode: 'sync', method: 'spawn' } });
  }
  trips.push({ id: 'py-semaphore-spawn', label: 'CPython two `mp.Semaphore(0)`s, spawn child', lang: 'python', params: { kind: 'semaphore', method: 'spawn' } });
  trips.push({ id: 'py-event-spawn', label: 'CPython two `mp.Event`s, spawn child', lang: 'python', params: { kind: 'event', method: 'spawn' } });
  return { uncontended, contended, trips };
}

// speedup: CPython's time / ours (above 1x = multiprocessing-ts faster). slowdown: ours / our sync twin's.
const TARGETS = [
  { id: 'uncontended-lock', what: 'uncontended Lock pair, `acquireSync` vs CPython `mp.Lock`', group: 'uncontended', ours: 'ts-lock-sync', theirs: 'py-lock', kind: 'speedup', goal: 1, strict: true, goalText: '> 1x' },
  { id: 'contended-counter', what: '2 processes x lock/increment/unlock, per iteration, vs CPython', group: 'contended', ours: 'ts-spawn', theirs: 'py-spawn', kind: 'speedup', goal: 3, goalText: '≥ 3x' },
  { id: 'handoff-sync', what: 'hand-off round trip, Event `waitSync` vs CPython Semaphore ping-pong', group: 'trips', ours: 'ts-event-sync-spawn', theirs: 'py-semaphore-spawn', kind: 'speedup', goal: 1, goalText: '≥ 1x' },
  { id: 'handoff-async', what: 'hand-off round trip, Event `await wait()` vs Event `waitSync` (slowdown)', group: 'trips', ours: 'ts-event-async-spawn', theirs: 'ts-event-sync-spawn', kind: 'slowdown', goal: 10, goalText: '≤ 10x' },
];
const INFO = [
  { what: 'uncontended Lock pair, `await acquire()` vs CPython `mp.Lock`', group: 'uncontended', ours: 'ts-lock-async', theirs: 'py-lock', kind: 'speedup' },
  { what: 'uncontended Lock pair, `await acquire()` vs `acquireSync()` (slowdown)', group: 'uncontended', ours: 'ts-lock-async', theirs: 'ts-lock-sync', kind: 'slowdown' },
  { what: 'uncontended Lock pair, `acquireSync()` vs the bare Atomics floor (slowdown)', group: 'uncontended', ours: 'ts-lock-sync', theirs: 'floor-atomics', kind: 'slowdown' },
  { what: '2 thread children x lock/increment/unlock vs CPython (processes)', group: 'contended', ours: 'ts-thread', theirs: 'py-spawn', kind: 'speedup' },
  { what: 'hand-off, Semaphore `acquireSync` vs CPython Semaphore ping-pong', group: 'trips', ours: 'ts-semaphore-sync-spawn', theirs: 'py-semaphore-spawn', kind: 'speedup' },
  { what: 'hand-off, Semaphore `await acquire()` vs Semaphore `acquireSync` (slowdown)', group: 'trips', ours: 'ts-semaphore-async-spawn', theirs: 'ts-semaphore-sync-spawn', kind: 'slowdown' },
  { what: 'hand-off, Event `waitSync` vs the bare futex floor (slowdown)', group: 'trips', ours: 'ts-event-sync-spawn', theirs: 'floor-futex-spawn', kind: 'slowdown' },
  { what: 'hand-off, CPython Semaphore ping-pong vs the bare futex floor (slowdown)', group: 'trips', ours: 'py-semaphore-spawn', theirs: 'floor-futex-spawn', kind: 'slowdown' },
  { what: 'hand-off, Event `waitSync` vs CPython Event ping-pong', group: 'trips', ours: 'ts-event-sync-spawn', theirs: 'py-event-spawn', kind: 'speedup' },
  { what: 'hand-off, Event `await wait()` vs CPython Semaphore ping-pong', group: 'trips', ours: 'ts-event-async-spawn', theirs: 'py-semaphore-spawn', kind: 'speedup' },
  { what: 'hand-off with a thread child, Event `waitSync` vs CPython Semaphore ping-pong (process)', group: 'trips', ours: 'ts-event-sync-thread', theirs: 'py-semaphore-spawn', kind: 'speedup' },
  { what: 'hand-off with a thread child, Event `await wait()` vs Event `waitSync` (slowdown)', group: 'trips', ours: 'ts-event-async-thread', theirs: 'ts-event-sync-thread', kind: 'slowdown' },
];

export async function run({ options, log }) {
  const config = { ...DEFAULTS, ...options };
  const drivers = {
    node: new Driver('node', process.execPath, [here('./node-driver.mjs')]),
    python: startPythonDriver('python', here('./python_driver.py')),
  };
  try {
    const features = await drivers.node.call('features');
    log(`package has: ${Object.entries(features).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    const selected = String(config.groups).split(',').map((g) => g.trim());
    const unknown = selected.filter((g) => !GROUPS.includes(g));
    if (unknown.length > 0) throw new Error(`unknown group ${unknown.join(', ')}; groups: ${GROUPS.join(', ')}`);
    const groups = casesFor(features, config);
    for (const g of GROUPS) if (!selected.includes(g)) groups[g] = [];
    const samples = {};
    const all = [...groups.uncontended, ...groups.contended, ...groups.trips];
    for (const c of all) samples[c.id] = [];
    const measure = {
      uncontended: async (c) => {
        const ns = await drivers[c.lang].call('uncontended', { ...c.params, n: config.pairs, batches: config.batches });
        samples[c.id].push(...ns.map((value) => ({ value })));
      },
      contended: async (c) => {
        const r = await drivers[c.lang].call('contended', { ...c.params, n: config.iterations }, { timeoutMs: 300_000 });
        samples[c.id].push({ value: r.nsPerIteration, ...r });
      },
      trips: async (c) => {
        const r = await drivers[c.lang].call('pingpong', { ...c.params, n: config.trips, warmup: config.warmupTrips }, { timeoutMs: 300_000 });
        samples[c.id].push({ value: r.usPerRoundTrip, ...r });
      },
    };
    for (let round = 0; round < config.rounds; round++) {
      for (const group of GROUPS) {
        for (const c of rotate(groups[group], round)) await measure[group](c);
      }
      const latest = all.map((c) => `${c.id} ${(groups.trips.includes(c) ? fmtUs : fmtNs)(samples[c.id].at(-1).value)}`);
      log(`round ${round + 1}/${config.rounds}: ${latest.join(', ')}`);
    }
    return report({ config, features, groups, samples, loadAtEnd: loadavg().map((v) => Number(v.toFixed(2))) });
  } finally {
    await Promise.allSettled([drivers.node.close(), drivers.python.close()]);
  }
}

const fmtNs = (ns) => (Number.isFinite(ns) ? (ns >= 100 ? ns.toFixed(0) : ns.toFixed(1)) : '-');
const fmtUs = (us) => (Number.isFinite(us) ? (us >= 100 ? us.toFixed(0) : us.toFixed(1)) : '-');
const spread = (s, fmt) => `${fmt(s.median)} (${fmt(s.p10)}–${fmt(s.p90)})`;

function report({ config, features, groups, samples, loadAtEnd }) {
  const summaries = {};
  for (const c of [...groups.uncontended, ...groups.contended, ...groups.trips]) summaries[c.id] = summarize(samples[c.id].map((s) => s.value));
  const has = (id) => summaries[id] !== undefined && summaries[id].n > 0;
  const ratioOf = (r) => {
    if (!has(r.ours) || !has(r.theirs)) return NaN;
    return r.kind === 'speedup' ? summaries[r.theirs].median / summaries[r.ours].median : summaries[r.ours].median / summaries[r.theirs].median;
  };
  const targets = TARGETS.map((t) => {
    const ratio = ratioOf(t);
    const met = !Number.isFinite(ratio) ? null : t.kind === 'slowdown' ? ratio <= t.goal : t.strict ? ratio > t.goal : ratio >= t.goal;
    return { ...t, ratio, met };
  });
  const info = INFO.map((r) => ({ ...r, ratio: ratioOf(r) })).filter((r) => Number.isFinite(r.ratio));
  const missing = [
    !features.Event && '`Event` (its hand-off rows and two of the targets)',
    !features.Semaphore && '`Semaphore` (its hand-off rows)',
  ].filter(Boolean);

  const sections = [];
  sections.push(
    `Method: one long-lived driver per language; ${config.rounds} rounds, each running every case once in an order rotated from ` +
      `round to round; medians across rounds with p10–p90 in parentheses. Contended workers and ping-pong children are started per ` +
      `sample, but only their steady work is timed. Loops are written as a user would (\`lock.acquire(); lock.release()\` in ` +
      `CPython), including the loop's own cost on both sides. Load average at the end: ${loadAtEnd.join(' / ')}.` +
      (missing.length > 0 ? `\n\nNot measured: this build of the package has no ${missing.join(', ')} yet.` : ''),
  );

  sections.push('## Targets (ratios of medians)');
  sections.push(
    targetsTable(targets, info),
  );
  sections.push('"speedup" rows: CPython\'s time / ours, above 1x = multiprocessing-ts faster. "slowdown" rows: the first time / the second.');

  const rows = (list, fmt) => list.map((c) => [c.label, spread(summaries[c.id], fmt), summaries[c.id].n]);
  const twice = (2 * config.iterations).toLocaleString('en-US');

  if (groups.uncontended.length > 0) {
    sections.push('## Uncontended Lock acquire + release');
    sections.push(
      `One process, a lock nobody else uses: ${config.pairs.toLocaleString('en-US')} pairs per sample, ${config.batches} samples per ` +
        `round; the loops warm up in round 1 (JIT), and the median hides that.`,
    );
    sections.push(markdownTable(['case', 'ns per pair', 'n'], rows(groups.uncontended, fmtNs)));
  }

  if (groups.contended.length > 0) {
    sections.push('## Two processes x lock / increment / unlock on a shared counter');
    sections.push(
      `Two children each run ${config.iterations.toLocaleString('en-US')} x \`lock.acquireSync(); counter[0] += 1; lock.release()\` ` +
        `(CPython: \`lock.acquire(); counter[0] += 1; lock.release()\`); the counter is a \`RawArray('i', 1)\` in both. Both wait at a gate (a lock the parent ` +
        `holds) until both are running; each stamps CLOCK_MONOTONIC around its loop. Time per iteration = (last end − first start) / ` +
        `${twice}. Every sample checks the total is exactly ${twice}. "overlap" = the share of that time both loops ran at once ` +
        `(a futex lock lets its holder take it again before a woken waiter runs, so one loop often finishes first).`,
    );
    sections.push(
      markdownTable(
        ['case', 'ns per iteration', 'total ms', 'overlap', 'n'],
        groups.contended.map((c) => {
          const s = samples[c.id];
          const med = (key) => summarize(s.map((x) => x[key])).median;
          return [c.label, spread(summaries[c.id], fmtNs), med('wallMs').toFixed(0), `${(med('overlap') * 100).toFixed(0)}%`, s.length];
        }),
      ),
    );
  }

  if (groups.trips.length > 0) {
    sections.push('## Hand-off round trip between a parent and one child');
    sections.push(
      `The parent sets \`ping\` and waits for \`pong\` (then clears it); the child waits for \`ping\`, clears it and sets \`pong\`. ` +
        `With semaphores: the parent releases \`a\` and acquires \`b\`; the child acquires \`a\` and releases \`b\` (CPython's usual ` +
        `ping-pong). "Sync twins" = \`waitSync\`/\`acquireSync\` on both sides; "\`await\`" = \`await wait()\`/\`await acquire()\` on ` +
        `both sides. Every wait carries a 30 s timeout, in both languages (a lost peer fails the run instead of hanging it). ` +
        `${config.warmupTrips.toLocaleString('en-US')} untimed round trips, then ${config.trips.toLocaleString('en-US')} timed. Each ` +
        `hand-off that sleeps wakes a sleeping process, so these numbers follow the machine's wake-up latency: on an idle virtual ` +
        `machine a wake-up costs far more than on a busy one; compare rows of the same run only. Our waits first spin for ` +
        `up to ${SPIN_LIMIT_US} µs (while no more threads are runnable than CPUs, and while spinning pays off): Sync twins in a ` +
        `tight loop, \`await\` once per turn of the event loop (timers and I/O go on between looks), so two peers running on ` +
        `their own CPUs hand off without entering the kernel; CPython's semaphores and the futex floor always sleep.`,
    );
    sections.push(markdownTable(['case', 'µs per round trip', 'n'], rows(groups.trips, fmtUs)));
  }

  const clean = (list) => list.map((c) => ({ id: c.id, label: c.label, lang: c.lang, params: c.params, summary: summaries[c.id], samples: samples[c.id] }));
  return {
    markdown: sections.join('\n\n'),
    json: {
      config,
      features,
      loadAtEnd,
      units: { uncontended: 'ns per acquire+release pair', contended: 'ns per iteration', trips: 'µs per round trip' },
      uncontended: clean(groups.uncontended),
      contended: clean(groups.contended),
      trips: clean(groups.trips),
      targets: targets.map(({ id, what, ours, theirs, kind, goal, goalText, ratio, met }) => ({ id, what, ours, theirs, kind, goal, goalText, ratio, met })),
      ratios: info.map(({ what, ours, theirs, kind, ratio }) => ({ what, ours, theirs, kind, ratio })),
    },
  };
}
