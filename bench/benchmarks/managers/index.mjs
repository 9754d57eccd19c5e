// Benchmark — managers. multiprocessing-ts's managers (SyncManager, BaseManager, proxies whose
// methods return Promises) side by side with CPython's multiprocessing.managers in one run:
// `Manager()` start to the first proxy call (start), one proxy's calls and creation from this
// process and from a child (calls), 4 processes at once on one list / one Lock + Value and a Queue
// proxy child → parent (multi), and a server in an unrelated process over TCP with an authkey
// (remote: connect(), proxy creation, call p50).
//
// Method: one long-lived driver per language (node-driver.mjs, python_driver.py); the call-level
// parts reuse one manager per start method (steady state). Every round runs each case of a part
// once, in an order rotated from round to round; reports give medians across rounds with p10–p90.
// Counts are checked in every sample (every append arrived, every increment counted).
//
// Options (node run.mjs managers --name=value): see DEFAULTS. `--only=start,remote` runs some
// parts; `--rounds=N` sets the rounds of every part (each has its own option too).
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { bootEnvironment } from '../../lib/boot-env.mjs';
import { Driver } from '../../lib/driver.mjs';
import { startPythonDriver } from '../../lib/python.mjs';
import { rotate, summarize } from '../../lib/stats.mjs';
import { fmtMs, fmtSpread, markdownTable, targetsTable } from '../../lib/table.mjs';
import { evaluate } from './goals.mjs';

export const title = 'Managers: multiprocessing-ts vs CPython multiprocessing.managers';
export const description =
  'Manager() start, proxy call p50 and creation, dict/list rates, pipelined appends, 4 processes on one list / Lock+Value, Queue proxy, remote TCP server; vs CPython managers';

const PARTS = ['start', 'calls', 'multi', 'remote'];

const DEFAULTS = {
  only: PARTS.join(','), // parts to run, comma-separated
  rounds: undefined, // when given: the rounds of every part
  startRounds: 10, // start: timed Manager() starts per case
  startWarmup: 1, // start: untimed starts per case first (forkserver boots its server)
  settle: 300, // start: ms paused before every start (forkserver spares boot; the last server exits)
  callRounds: 5, // calls, multi, remote: samples per case
  tsMethod: 'forkserver', // calls, multi: start method of our server and children
  pyMethod: 'fork', // ... and of CPython's (its default on Linux)
  latencyCalls: 2000, // calls: calls timed one by one for each p50
  creates: 200, // calls: proxies created per sample
  pairs: 2000, // calls: dict set+get pairs per sample
  appends: 4000, // calls: sequential appends per sample
  pipelined: 40_000, // calls: pipelined appends per sample (ours only)
  batch: 100, // calls, multi: appends in flight at once when pipelined
  procs: 4, // multi: processes at once
  perProc: 2500, // multi: appends per process
  increments: 500, // multi: Lock+Value increments per process
  queueItems: 5000, // multi: items through the Queue proxy
  connects: 20, // remote: connect() calls per sample (p50)
  remoteCreates: 50, // remote: proxies created per sample (p50)
  remoteCalls: 2000, // remote: calls timed for the p50
  keepEnv: false, // --keep-env: keep variables that slow every Node boot (lib/boot-env.mjs)
};

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

function configOf(options) {
  const config = { ...DEFAULTS, ...options };
  if (options.rounds !== undefined) {
    for (const key of ['startRounds', 'callRounds']) if (options[key] === undefined) config[key] = options.rounds;
  }
  const parts = String(config.only).split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = parts.filter((p) => !PARTS.includes(p));
  if (unknown.length > 0) throw new Error(`unknown part(s) ${unknown.join(', ')}; parts: ${PARTS.join(', ')}`);
  config.parts = PARTS.filter((p) => parts.includes(p));
  return config;
}

/** The cases of each part: a driver op with its params, and the metrics it answers (unit, label). */
function partsOf(config) {
  const ts = config.tsMethod;
  const py = config.pyMethod;
  const callParams = { latencyCalls: config.latencyCalls, creates: config.creates, pairs: config.pairs, appends: config.appends, pipelined: config.pipelined, batch: config.batch };
  const authkey = randomBytes(12).toString('hex');
  return {
    start: {
      title: '`Manager()` start',
      rounds: config.startRounds,
      warmup: config.startWarmup,
      metrics: [
        ['started', 'ms', '`Manager()` resolved'],
        ['firstProxy', 'ms', '→ first proxy call done'],
        ['shutdown', 'ms', '`shutdown()`'],
      ],
      cases: [
        ...['spawn', 'forkserver', 'thread'].map((m) => ({ id: `ts-${m}`, label: `multiprocessing-ts ${m}`, lang: 'node', op: 'managerStart', params: { method: m } })),
        ...['fork', 'forkserver', 'spawn'].map((m) => ({ id: `py-${m}`, label: `CPython ${m}`, lang: 'python', op: 'managerStart', params: { method: m } })),
      ].map((c) => ({ ...c, params: { ...c.params, settleMs: config.settle } })),
      note:
        `Time from \`Manager()\` (\`getContext(m).Manager()\` / \`get_context(m).Manager()\`) until a \`dict\` proxy made on it has taken its first ` +
        `set, then \`shutdown()\`; ${config.startWarmup} untimed start(s) per case first, and a ${config.settle} ms pause before every start.`,
    },
    calls: {
      title: 'One process: calls and proxy creation',
      rounds: config.callRounds,
      warmup: 0,
      metrics: [
        ['dictGetUs', 'µs', 'dict get p50'],
        ['appendUs', 'µs', 'list append p50'],
        ['childDictGetUs', 'µs', 'dict get p50, child'],
        ['childAppendUs', 'µs', 'list append p50, child'],
        ['childSettledDictGetUs', 'µs', 'dict get p50, child, after 4,000 more calls'],
        ['createMs', 'ms', '`manager.list()`'],
        ['dictPairsPerS', '/s', 'dict set+get pairs/s'],
        ['appendsPerS', '/s', 'appends/s'],
        ['appendCpuUs', 'µs', 'CPU per append, client + server'],
        ['pipelinedPerS', '/s', `appends/s, ${config.batch} in flight`],
      ],
      cases: [
        { id: 'ts', label: `multiprocessing-ts (${ts} server and child)`, lang: 'node', op: 'calls', params: { method: ts, ...callParams } },
        { id: 'py', label: `CPython (${py} server and child)`, lang: 'python', op: 'calls', params: { method: py, ...callParams } },
      ],
      note:
        `One long-lived manager per language; each sample: ${config.latencyCalls} dict gets and ${config.latencyCalls} list appends timed one by one ` +
        `(p50) from the driver and from a ${ts}/${py} child given the proxies (the child's dict gets timed again after 4,000 more calls: ` +
        `a forkserver boots its next spare right after a start, and on 2 CPUs the child's first calls share the machine with that boot); ${config.creates} \`manager.list()\` in a row (mean); ` +
        `${config.pairs} dict set+get pairs; ${config.appends} appends awaited one by one (with the CPU time, user + system of every thread, that the driver and the ` +
        `manager's server used for them, from procfs: it does not depend on how busy the machine is, where the rates do); ${config.pipelined} appends in batches of ${config.batch} ` +
        `awaited with \`Promise.all\` (ours only: a CPython proxy call blocks). Counts checked with \`len()\`.`,
    },
    multi: {
      title: 'Several processes',
      rounds: config.callRounds,
      warmup: 0,
      metrics: [['perS', '/s', 'aggregate per second']],
      cases: [
        { id: 'ts-append', label: `multiprocessing-ts: ${config.procs} processes appending to one list`, lang: 'node', op: 'multiAppend', params: { method: ts, procs: config.procs, n: config.perProc, batch: 1 } },
        { id: 'ts-append-pipelined', label: `multiprocessing-ts: ${config.procs} processes appending, ${config.batch} in flight each`, lang: 'node', op: 'multiAppend', params: { method: ts, procs: config.procs, n: config.perProc, batch: config.batch } },
        { id: 'py-append', label: `CPython: ${config.procs} processes appending to one list`, lang: 'python', op: 'multiAppend', params: { method: py, procs: config.procs, n: config.perProc, batch: 1 } },
        { id: 'ts-lock', label: `multiprocessing-ts: ${config.procs} processes, Lock + Value increments`, lang: 'node', op: 'lockValue', params: { method: ts, procs: config.procs, n: config.increments } },
        { id: 'py-lock', label: `CPython: ${config.procs} processes, Lock + Value increments`, lang: 'python', op: 'lockValue', params: { method: py, procs: config.procs, n: config.increments } },
        { id: 'ts-queue', label: 'multiprocessing-ts: Queue proxy, child → parent items', lang: 'node', op: 'queue', params: { method: ts, n: config.queueItems } },
        { id: 'py-queue', label: 'CPython: Queue proxy, child → parent items', lang: 'python', op: 'queue', params: { method: py, n: config.queueItems } },
      ],
      note:
        `Children (${ts} / ${py}) first make their connection (one call), then wait on a managed Event; the time runs from \`set()\` until ` +
        `every child has joined. Appends: ${config.perProc} per process, every item checked; Lock + Value: ${config.increments} increments per ` +
        `process (acquire, get, set, release), the total checked; Queue: ${config.queueItems} ints put one by one by a child, taken by the parent.`,
    },
    remote: {
      title: 'Remote server over TCP',
      rounds: config.callRounds,
      warmup: 0,
      metrics: [
        ['connectMs', 'ms', '`connect()` p50'],
        ['firstConnectMs', 'ms', 'first `connect()` of a new process p50'],
        ['createMs', 'ms', 'proxy creation p50'],
        ['callUs', 'µs', 'call p50'],
      ],
      cases: [
        { id: 'ts', label: 'multiprocessing-ts client → multiprocessing-ts server', lang: 'node', op: 'remote', params: { connects: config.connects, creates: config.remoteCreates, remoteCalls: config.remoteCalls, authkey } },
        { id: 'py', label: 'CPython client → CPython server', lang: 'python', op: 'remote', params: { connects: config.connects, creates: config.remoteCreates, remoteCalls: config.remoteCalls, authkey } },
      ],
      note:
        `The server is a process of its own (\`node remote-server.mjs\` / \`python remote_server.py\`, started by the driver, not a child of ` +
        `the package) running \`getServer().serveForever()\` / \`get_server().serve_forever()\` on 127.0.0.1 with an authkey. Each sample: ` +
        `${config.connects} \`connect()\`s (each a new connection and handshake; ours each in a new process, as a process keeps one connection per server and key: ` +
        `\`connect()\` once that process made one plain \`Client()\` connection, and the first \`connect()\` of a new process, which also loads Node's net and crypto modules and the addon), ${config.remoteCreates} \`Math()\` proxies created and released, ` +
        `${config.remoteCalls} \`add()\` calls timed one by one.`,
    },
  };
}

export async function run({ options, log }) {
  const config = configOf(options);
  const parts = partsOf(config);
  const { env: nodeEnv, stripped } = bootEnvironment({ keep: config.keepEnv });
  const drivers = {
    node: new Driver('node', process.execPath, [here('./node-driver.mjs')], { env: nodeEnv }),
    python: startPythonDriver('python', here('./python_driver.py')),
  };
  const results = {};
  try {
    for (const name of config.parts) {
      const part = parts[name];
      const started = Date.now();
      log(`part ${name}`);
      const samples = Object.fromEntries(part.cases.map((c) => [c.id, []]));
      const sample = (c) => drivers[c.lang].call(c.op, c.params, { timeoutMs: 300_000 });
      for (let i = 0; i < part.warmup; i++) for (const c of part.cases) await sample(c);
      for (let round = 0; round < part.rounds; round++) {
        for (const c of rotate(part.cases, round)) samples[c.id].push(await sample(c));
        const [metric] = part.metrics[part.metrics.length > 1 && name === 'start' ? 1 : 0];
        log(`${name} round ${round + 1}/${part.rounds} (${metric}): ${part.cases.map((c) => `${c.id} ${fmtValue(samples[c.id].at(-1)[metric])}`).join(', ')}`);
      }
      const summaries = Object.fromEntries(
        part.cases.map((c) => [c.id, Object.fromEntries(part.metrics.filter(([m]) => samples[c.id].some((s) => s[m] !== undefined)).map(([m]) => [m, summarize(samples[c.id].map((s) => s[m]))]))]),
      );
      results[name] = { summaries, samples, seconds: (Date.now() - started) / 1000 };
    }
    return report({ config, parts, results, stripped: Object.keys(stripped), loadAtEnd: loadavg().map((v) => Number(v.toFixed(2))) });
  } finally {
    await Promise.allSettled([drivers.node.close(), drivers.python.close()]);
  }
}

function fmtValue(value) {
  if (!Number.isFinite(value)) return '-';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (value >= 100) return value.toFixed(0);
  return fmtMs(value);
}

function report({ config, parts, results, stripped, loadAtEnd }) {
  const summariesByPart = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.summaries]));
  const { goals, info } = evaluate(summariesByPart);
  const sections = [
    `Parts run: ${config.parts.map((p) => `${p} (${results[p].seconds.toFixed(0)} s)`).join(', ')}. Load average at the end: ${loadAtEnd.join(' / ')}.`,
    `Method: one long-lived driver per language; every round runs each case of a part once, in an order rotated from round to round; ` +
      `medians across rounds with p10–p90 in parentheses (a p50 row is the median over rounds of each round's p50). Compare medians from the same run only.` +
      (stripped.length > 0 ? ` The Node driver and its children run without ${stripped.join(', ')} (set here; it slows every Node boot; \`--keep-env\` keeps it).` : ''),
    '## Targets (ratios of medians; above 1x = multiprocessing-ts better)',
    targetsTable(goals, info),
  ];
  for (const name of config.parts) {
    const part = parts[name];
    const { summaries } = results[name];
    const metrics = part.metrics.filter(([m]) => part.cases.some((c) => summaries[c.id][m]));
    sections.push(`## ${part.title}`, part.note);
    sections.push(
      markdownTable(
        ['case', ...metrics.map(([, unit, label]) => `${label} (${unit})`), 'n'],
        part.cases.map((c) => [c.label, ...metrics.map(([m]) => (summaries[c.id][m] ? fmtSpread(summaries[c.id][m], fmtValue) : '-')), results[name].samples[c.id].length]),
      ),
    );
  }
  return {
    markdown: sections.join('\n\n'),
    json: {
      config,
      loadAtEnd,
      environmentStripped: stripped,
      targets: goals.map(({ part, what, ours, theirs, metric, goal, goalText, ratio, met }) => ({ part, what, ours, theirs, metric, goal, goalText, ratio, met })),
      ratios: info.map(({ part, what, ours, theirs, metric, ratio }) => ({ part, what, ours, theirs, metric, ratio })),
      parts: Object.fromEntries(
        Object.entries(results).map(([name, r]) => [
          name,
          { seconds: r.seconds, cases: parts[name].cases.map((c) => ({ id: c.id, label: c.label, lang: c.lang, op: c.op, params: { ...c.params, authkey: undefined }, summary: r.summaries[c.id], samples: r.samples[c.id] })) },
        ]),
      ),
    },
  };
}
