// Benchmark 1 — process start. How long from `start()` until the target's first line runs, and
// until `join()` resolves, for multiprocessing-ts's spawn, forkserver and thread, side by side
// with CPython's spawn, forkserver and fork; the memory of an idle child; and the parent's memory
// across many sequential start/join cycles.
//
// Method: one long-lived driver process per language (node-driver.mjs, python_driver.py) runs the
// starts, so every case is measured in steady state; cases are interleaved, in an order rotated
// each round. Each target records CLOCK_MONOTONIC (shared by all processes on Linux) into a file
// of its own; the parent compares it with the same clock read just before start(). Before every
// timed start the driver pauses `settle` ms, the same for every case: this lets the previous child
// finish exiting and gives forkserver time to boot its replacement spare (steady state).
//
// Options (node run.mjs process-start --name=value): see DEFAULTS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Driver } from '../../lib/driver.mjs';
import { startPythonDriver } from '../../lib/python.mjs';
import { median, rotate, summarize } from '../../lib/stats.mjs';
import { fmtMiB, fmtMs, fmtSpread, markdownTable, targetsTable } from '../../lib/table.mjs';

export const title = 'Process start: multiprocessing-ts vs CPython multiprocessing';
export const description =
  'start() -> first line of the target and -> join(), spawn/forkserver/thread vs CPython spawn/forkserver/fork; idle child memory; memory across 1,000 start/join cycles';

const DEFAULTS = {
  rounds: 20, // timed starts per case
  warmup: 2, // untimed starts per case first (forkserver: boots the server and learns the target)
  settle: 300, // ms paused before every timed start (600 with --keep-env: spares boot slower)
  idleSettle: 500, // ms an idle child waits before its memory is read
  rssSamples: 3, // idle-memory readings per case (median reported)
  cycles: 1000, // sequential start/join cycles for thread and forkserver
  spawnCycles: 200, // ... and for spawn (each costs a Node boot)
  cycleWarmup: 20,
  checkpoints: 4, // memory readings during the cycles
  memory: true, // --memory=false skips idle memory and the cycles
  keepEnv: false, // --keep-env: keep variables that slow every Node boot (see SLOW_BOOT_VARIABLES)
};

/**
 * Variables of some environments (CI images, sandboxes) that make every Node.js process boot
 * slower: NODE_EXTRA_CA_CERTS makes Node read and parse the certificate file at start-up. The
 * drivers run without them unless --keep-env; a floor case shows what they cost.
 */
const SLOW_BOOT_VARIABLES = ['NODE_EXTRA_CA_CERTS'];

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

function casesFor(stripped) {
  const cases = [
    { id: 'ts-spawn', label: 'multiprocessing-ts spawn', lang: 'node', params: { method: 'spawn' } },
    { id: 'ts-forkserver', label: 'multiprocessing-ts forkserver', lang: 'node', params: { method: 'forkserver' } },
    { id: 'ts-thread', label: 'multiprocessing-ts thread', lang: 'node', params: { method: 'thread' } },
    { id: 'py-spawn', label: 'CPython spawn', lang: 'python', params: { method: 'spawn' } },
    { id: 'py-forkserver', label: 'CPython forkserver', lang: 'python', params: { method: 'forkserver' } },
    { id: 'py-fork', label: 'CPython fork', lang: 'python', params: { method: 'fork' } },
    {
      id: 'ts-forkserver-b2b',
      label: 'multiprocessing-ts forkserver, right after another start/join (no pause)',
      lang: 'node',
      params: { method: 'forkserver', backToBack: true },
    },
    {
      id: 'py-forkserver-b2b',
      label: 'CPython forkserver, right after another start/join (no pause)',
      lang: 'python',
      params: { method: 'forkserver', backToBack: true },
    },
    { id: 'node-process', label: 'floor: bare `node file.mjs` process, no package', lang: 'node', params: { kind: 'bare-process', method: 'node' } },
    { id: 'node-worker', label: 'floor: bare `new Worker(file.mjs)`, no package', lang: 'node', params: { kind: 'bare-worker', method: 'worker' } },
  ];
  if (Object.keys(stripped).length > 0) {
    cases.push({
      id: 'node-process-env',
      label: `floor: bare \`node file.mjs\` process with ${Object.keys(stripped).join(', ')} as set here`,
      lang: 'node',
      params: { kind: 'bare-process', method: 'node-env', env: stripped },
    });
  }
  return cases;
}

const IDLE_CASES = [
  { id: 'ts-spawn', label: 'multiprocessing-ts spawn child', lang: 'node', method: 'spawn' },
  { id: 'ts-forkserver', label: 'multiprocessing-ts forkserver child', lang: 'node', method: 'forkserver' },
  { id: 'ts-thread', label: 'multiprocessing-ts thread (growth of the parent)', lang: 'node', method: 'thread' },
  { id: 'node-bare', label: 'bare `node -e` process (baseline)', lang: 'node', method: 'node' },
  { id: 'py-spawn', label: 'CPython spawn child', lang: 'python', method: 'spawn' },
  { id: 'py-forkserver', label: 'CPython forkserver child', lang: 'python', method: 'forkserver' },
  { id: 'py-fork', label: 'CPython fork child', lang: 'python', method: 'fork' },
  { id: 'python-bare', label: 'bare `python3 -c` process (baseline)', lang: 'python', method: 'python' },
];

const TARGETS = [
  { id: 'forkserver-vs-spawn', what: 'forkserver vs spawn, start → first line', faster: 'ts-forkserver', slower: 'ts-spawn', metric: 'firstLine', goal: 10 },
  { id: 'forkserver-vs-cpython-forkserver', what: 'forkserver vs CPython forkserver, start → first line', faster: 'ts-forkserver', slower: 'py-forkserver', metric: 'firstLine', goal: 1 },
  { id: 'thread-vs-cpython-spawn', what: 'thread vs CPython spawn, start → first line', faster: 'ts-thread', slower: 'py-spawn', metric: 'firstLine', goal: 1 },
];
const INFO_RATIOS = [
  { id: 'forkserver-vs-spawn-join', what: 'forkserver vs spawn, start → join', faster: 'ts-forkserver', slower: 'ts-spawn', metric: 'join' },
  { id: 'forkserver-vs-cpython-forkserver-join', what: 'forkserver vs CPython forkserver, start → join', faster: 'ts-forkserver', slower: 'py-forkserver', metric: 'join' },
  { id: 'thread-vs-cpython-spawn-join', what: 'thread vs CPython spawn, start → join', faster: 'ts-thread', slower: 'py-spawn', metric: 'join' },
  { id: 'spawn-vs-cpython-spawn', what: 'spawn vs CPython spawn, start → first line', faster: 'ts-spawn', slower: 'py-spawn', metric: 'firstLine' },
  { id: 'forkserver-vs-cpython-fork', what: 'forkserver vs CPython fork, start → first line', faster: 'ts-forkserver', slower: 'py-fork', metric: 'firstLine' },
  { id: 'forkserver-b2b-vs-cpython-forkserver-b2b', what: 'forkserver vs CPython forkserver, back to back, start → first line', faster: 'ts-forkserver-b2b', slower: 'py-forkserver-b2b', metric: 'firstLine' },
];
const OVERHEADS = [
  { what: 'spawn over a bare Node process', of: 'ts-spawn', over: 'node-process' },
  { what: 'thread over a bare Worker', of: 'ts-thread', over: 'node-worker' },
];

export async function run({ options, log }) {
  const config = { ...DEFAULTS, ...(options.keepEnv ? { settle: 600 } : {}), ...options };
  const nodeEnv = { ...process.env };
  const stripped = {};
  if (!config.keepEnv) {
    for (const name of SLOW_BOOT_VARIABLES) {
      if (nodeEnv[name] === undefined) continue;
      stripped[name] = nodeEnv[name];
      delete nodeEnv[name];
    }
  }
  const cases = casesFor(stripped);
  const dir = mkdtempSync(join(tmpdir(), 'mp-bench-start-'));
  const drivers = {
    node: new Driver('node', process.execPath, ['--expose-gc', here('./node-driver.mjs')], { env: nodeEnv }),
    python: startPythonDriver('python', here('./python_driver.py')),
  };
  try {
    const samples = await timeStarts(drivers, cases, config, dir, log);
    const idleMemory = config.memory ? await measureIdle(drivers, config, dir, log) : null;
    const cycles = config.memory ? await runCycles(drivers.node, config, log) : null;
    return report({ config, cases, stripped: Object.keys(stripped), samples, idleMemory, cycles });
  } finally {
    await Promise.allSettled([drivers.node.close(), drivers.python.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeStarts(drivers, cases, config, dir, log) {
  const samples = Object.fromEntries(cases.map((c) => [c.id, []]));
  const startCase = (c, tag) => drivers[c.lang].call('start', { ...c.params, dir, settleMs: config.settle, tag });
  log(`warm-up: ${config.warmup} untimed start(s) per case`);
  for (let i = 0; i < config.warmup; i++) for (const c of cases) await startCase(c, `w${i}`);
  for (let round = 0; round < config.rounds; round++) {
    for (const c of rotate(cases, round)) samples[c.id].push(await startCase(c, `r${round}`));
    const line = cases.map((c) => `${c.id} ${fmtMs(samples[c.id].at(-1).firstLine)}`).join(', ');
    log(`round ${round + 1}/${config.rounds} (start → first line, ms): ${line}`);
  }
  return samples;
}

async function measureIdle(drivers, config, dir, log) {
  const readings = Object.fromEntries(IDLE_CASES.map((c) => [c.id, []]));
  for (let i = 0; i < config.rssSamples; i++) {
    for (const c of rotate(IDLE_CASES, i)) {
      readings[c.id].push(await drivers[c.lang].call('idleRss', { method: c.method, dir, settleMs: config.idleSettle }));
    }
    log(`idle memory reading ${i + 1}/${config.rssSamples}`);
  }
  return Object.fromEntries(
    IDLE_CASES.map((c) => {
      const of = (field) => median(readings[c.id].map((r) => r[field]));
      return [c.id, { label: c.label, vmRss: of('vmRss'), rssAnon: of('rssAnon'), pss: of('pss'), readings: readings[c.id] }];
    }),
  );
}

async function runCycles(node, config, log) {
  const plan = [
    { method: 'thread', n: config.cycles },
    { method: 'forkserver', n: config.cycles },
    { method: 'spawn', n: config.spawnCycles },
  ];
  const results = [];
  for (const { method, n } of plan) {
    log(`${n} sequential start/join cycles on ${method}`);
    results.push(await node.call('cycles', { method, n, warmup: config.cycleWarmup, checkpoints: config.checkpoints }, { timeoutMs: 60_000 + n * 5_000 }));
  }
  return results;
}

function verdictOfCycles(c) {
  const first = c.series[0];
  const last = c.series.at(-1);
  const heapGrowth = last.heapUsed - first.heapUsed;
  const rssGrowth = last.rss - first.rss;
  // A leak grows with the cycles. RSS also follows the heap V8 reserves (heapTotal: its young
  // generation grows with the allocation rate, and shrinks again later), so RSS counts as grown
  // only if, net of heapTotal, it stays more than 8 MiB up through the second half.
  const net = (s) => s.rss - s.heapTotal;
  const secondHalf = c.series.slice(Math.ceil(c.series.length / 2));
  const rssNetSustained = Math.min(...secondHalf.map(net)) - net(first);
  const flat =
    heapGrowth < 512 * 1024 &&
    rssNetSustained < 8 * 1024 * 1024 &&
    last.resources <= first.resources + 1 &&
    last.childProcesses <= first.childProcesses;
  return { heapGrowth, rssGrowth, rssNetSustained, heapPerCycle: heapGrowth / c.n, flat };
}

function report({ config, cases, stripped, samples, idleMemory, cycles }) {
  const summaries = Object.fromEntries(
    cases.map((c) => [
      c.id,
      {
        startCall: summarize(samples[c.id].map((s) => s.startCall)),
        firstLine: summarize(samples[c.id].map((s) => s.firstLine)),
        join: summarize(samples[c.id].map((s) => s.join)),
      },
    ]),
  );
  const ratioOf = (r) => summaries[r.slower][r.metric].median / summaries[r.faster][r.metric].median;
  const sections = [];

  sections.push(
    `Method: one long-lived driver per language runs every start (steady state); cases are interleaved, in an order rotated each round; ` +
      `${config.warmup} untimed warm-up start(s) per case, then ${config.rounds} timed rounds. Before every timed start the driver pauses ` +
      `${config.settle} ms, for every case alike, so forkserver is measured with its spare booted (its steady state) and the previous child has ` +
      `finished exiting; the "no pause" rows show a start that follows another at once. "First line" is CLOCK_MONOTONIC read by the target's ` +
      `first statement (\`process.hrtime.bigint()\` / \`time.monotonic_ns()\`), written to a file per run, against the same clock read in the ` +
      `parent just before \`start()\`. The target is an exported function of a small module (Node) / of the main script (CPython). ` +
      `Times in ms: median (p10–p90).` +
      (stripped.length > 0
        ? `\n\nThis environment sets ${stripped.join(', ')}, which makes every Node.js process load a certificate file at boot; the Node ` +
          `driver and its children run without it (\`--keep-env\` keeps it), and the last floor row shows what it costs.`
        : ''),
  );

  sections.push('## Start latency');
  sections.push(
    markdownTable(
      ['case', 'start() call', 'start → first line', 'start → join() resolved', 'n'],
      cases.map((c) => {
        const s = summaries[c.id];
        return [c.label, fmtMs(s.startCall.median), fmtSpread(s.firstLine), fmtSpread(s.join), s.firstLine.n];
      }),
    ),
  );

  const targets = TARGETS.map((t) => ({ ...t, ratio: ratioOf(t), met: ratioOf(t) >= t.goal }));
  const info = INFO_RATIOS.map((r) => ({ ...r, ratio: ratioOf(r) }));
  sections.push('## Targets (ratios of medians; above 1x = multiprocessing-ts faster)');
  sections.push(
    targetsTable(
      targets.map((t) => ({ ...t, goalText: t.goal === 1 ? '> 1x' : `≥ ${t.goal}x` })),
      info,
    ),
  );
  const overheads = OVERHEADS.map((o) => ({
    ...o,
    firstLine: summaries[o.of].firstLine.median - summaries[o.over].firstLine.median,
    join: summaries[o.of].join.median - summaries[o.over].join.median,
  }));
  sections.push('What the package adds over the floor (difference of medians, ms):');
  sections.push(
    markdownTable(
      ['', 'start → first line', 'start → join'],
      overheads.map((o) => [o.what, `+${fmtMs(o.firstLine)}`, `+${fmtMs(o.join)}`]),
    ),
  );

  if (idleMemory) {
    sections.push('## Memory of an idle child');
    sections.push(
      `The child's target writes a ready file, then waits (a 10 ms poll for a release file); ${config.idleSettle} ms after it is ready, ` +
        `/proc/<pid>/status (VmRSS, RssAnon) and /proc/<pid>/smaps_rollup (Pss: shared pages divided among the processes sharing them) are read. ` +
        `Median of ${config.rssSamples} readings. For thread: how much the parent's own numbers grow while the thread idles (after a full GC).`,
    );
    sections.push(
      markdownTable(
        ['process', 'VmRSS', 'RssAnon (private)', 'Pss'],
        IDLE_CASES.map((c) => {
          const m = idleMemory[c.id];
          return [m.label, fmtMiB(m.vmRss), fmtMiB(m.rssAnon), fmtMiB(m.pss)];
        }),
      ),
    );
  }

  let cycleSummaries = null;
  if (cycles) {
    cycleSummaries = cycles.map((c) => ({ ...c, ...verdictOfCycles(c) }));
    sections.push('## Parent memory across sequential start/join cycles');
    sections.push(
      `The Node driver (\`node --expose-gc\`) runs ${config.cycleWarmup} warm-up cycles, then N cycles of ` +
        `\`new Process({ target: noop }); p.start(); await p.join()\` back to back, with no pause (so forkserver hands each start to the ` +
        `spare booted after the previous one, ready or not). Memory is read after a full GC (\`gc()\` four times) before, at ` +
        `${config.checkpoints} checkpoints, and after. "resources" = \`process.getActiveResourcesInfo().length\`; "children" = live child ` +
        `processes of the driver (forkserver keeps one spare). Verdict "no growth": heapUsed grew < 512 KiB; RSS net of heapTotal (the heap V8 ` +
        `reserves, whose young generation grows with the allocation rate and shrinks later) did not stay > 8 MiB up through the second ` +
        `half; resources and children came back (± the spare's IPC pipe).`,
    );
    sections.push(
      markdownTable(
        ['method', 'cycles', 'ms / cycle', 'RSS before → after', 'heapUsed before → after', 'heap / cycle', 'heapTotal', 'resources', 'children', 'verdict'],
        cycleSummaries.map((c) => {
          const first = c.series[0];
          const last = c.series.at(-1);
          return [
            c.method,
            c.n,
            fmtMs(c.perCycleMs),
            `${fmtMiB(first.rss)} → ${fmtMiB(last.rss)} (${fmtMiB(c.rssGrowth, { sign: true })})`,
            `${fmtMiB(first.heapUsed)} → ${fmtMiB(last.heapUsed)} (${fmtMiB(c.heapGrowth, { sign: true })})`,
            `${c.heapPerCycle >= 0 ? '+' : ''}${Math.round(c.heapPerCycle)} B`,
            `${fmtMiB(first.heapTotal)} → ${fmtMiB(last.heapTotal)}`,
            `${first.resources} → ${last.resources}`,
            `${first.childProcesses} → ${last.childProcesses}`,
            c.flat ? 'no growth' : '**grows**',
          ];
        }),
      ),
    );
    sections.push(
      markdownTable(
        ['method', 'RSS / heapTotal / heapUsed (MiB) after N cycles'],
        cycleSummaries.map((c) => [
          c.method,
          c.series.map((s) => `${s.cycles}: ${[s.rss, s.heapTotal].map((v) => (v / 2 ** 20).toFixed(1)).join(' / ')} / ${(s.heapUsed / 2 ** 20).toFixed(2)}`).join(' · '),
        ]),
      ),
    );
  }

  return {
    markdown: sections.join('\n\n'),
    json: {
      config,
      unit: 'ms',
      clock: 'CLOCK_MONOTONIC',
      environmentStripped: stripped,
      cases: Object.fromEntries(cases.map((c) => [c.id, { label: c.label, lang: c.lang, params: { ...c.params, env: undefined }, summary: summaries[c.id], samples: samples[c.id] }])),
      targets: targets.map(({ id, what, faster, slower, metric, goal, ratio, met }) => ({ id, what, faster, slower, metric, goal, ratio, met })),
      ratios: info.map(({ id, what, faster, slower, metric, ratio }) => ({ id, what, faster, slower, metric, ratio })),
      overheads,
      idleMemory,
      cycles: cycleSummaries,
    },
  };
}
