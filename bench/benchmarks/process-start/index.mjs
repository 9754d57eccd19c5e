// Benchmark 1 — process start. How long from `start()` until the target's first line runs, and
// until `join()` resolves, for multiprocessing-ts's spawn, forkserver and thread, side by side
// with CPython's spawn, forkserver and fork and with a bare Node.js floor: one warm start at a
// time (single), several at once (burst), many in a row (sustained), a Pool replacing its workers
// after every task (pool); then the memory of an idle child (memory) and the parent's memory
// across many start/join cycles (cycles).
//
// Method: one long-lived driver process per language (node-driver.mjs, python_driver.py) runs the
// starts, so every case is measured in steady state; within each part the cases are interleaved,
// in an order rotated each round. Each target records CLOCK_MONOTONIC (shared by all processes on
// Linux) into a file of its own; the parent compares it with the same clock read just before
// start(). Before every timed case the driver pauses, the same for every case of a part: this lets
// the previous children finish exiting and gives forkserver time to boot its replacement spares.
//
// Options (node run.mjs process-start --name=value): see DEFAULTS. `--only=burst,pool` runs
// some parts; `--rounds=N` sets the rounds of every part (each has its own option too).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Driver } from '../../lib/driver.mjs';
import { startPythonDriver } from '../../lib/python.mjs';
import { targetsTable } from '../../lib/table.mjs';
import { runBurst } from './burst.mjs';
import { runCycles } from './cycles.mjs';
import { evaluate } from './goals.mjs';
import { runIdleMemory } from './idle-memory.mjs';
import { runImportTime } from './import-time.mjs';
import { runPoolChurn } from './pool-churn.mjs';
import { runSingle } from './single.mjs';
import { runSustained } from './sustained.mjs';

export const title = 'Process start: multiprocessing-ts vs CPython multiprocessing';
export const description =
  'spawn/forkserver/thread vs CPython spawn/forkserver/fork: one warm start, 5 and CPU×2 at once, 20 in a row, Pool(2, maxTasksPerChild 1) churn; idle child memory; memory across start/join cycles';

const PARTS = ['import', 'single', 'burst', 'sustained', 'pool', 'memory', 'cycles'];

const DEFAULTS = {
  only: PARTS.join(','), // parts to run, comma-separated
  importRounds: 10, // import: fresh processes timed per side
  rounds: undefined, // when given: the rounds of every part
  singleRounds: 12, // single: timed starts per case
  warmup: 2, // single: untimed starts per case first (forkserver: boots the server, learns the target)
  settle: 300, // single: ms paused before every timed start (600 with --keep-env: spares boot slower)
  burstRounds: 5, // burst: bursts per case and size
  burstWarmup: undefined, // burst: untimed bursts per case and size first; default 1, 0 after the single part (its warm-up warmed the same drivers)
  sustainedRounds: 4, // sustained: rows per case
  inARow: 20, // sustained: starts per row
  poolRounds: 3, // pool: maps per case
  poolProcesses: 2,
  poolTasks: 40,
  groupSettle: 600, // burst, sustained, pool: ms paused before every case (several children end at once)
  idleSettle: 500, // memory: ms an idle child waits before its memory is read
  rssSamples: 3, // memory: readings per case (median reported)
  cycles: 200, // cycles: sequential start/join cycles for thread and forkserver (1000 for a closer leak check)
  spawnCycles: 40, // ... and for spawn (each costs a Node boot)
  cycleWarmup: 20,
  checkpoints: 4, // memory readings during the cycles
  memory: true, // --memory=false skips the memory and cycles parts
  keepEnv: false, // --keep-env: keep variables that slow every Node boot (see SLOW_BOOT_VARIABLES)
};

/**
 * Variables of some environments (CI images, sandboxes) that make every Node.js process boot
 * slower: NODE_EXTRA_CA_CERTS makes Node read and parse the certificate file at start-up. The
 * drivers run without them unless --keep-env; a floor case shows what they cost.
 */
const SLOW_BOOT_VARIABLES = ['NODE_EXTRA_CA_CERTS'];

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

function configOf(options) {
  const config = { ...DEFAULTS, ...(options.keepEnv ? { settle: 600 } : {}), ...options };
  if (options.rounds !== undefined) {
    for (const key of ['importRounds', 'singleRounds', 'burstRounds', 'sustainedRounds', 'poolRounds', 'rssSamples']) {
      if (options[key] === undefined) config[key] = options.rounds;
    }
  }
  config.rounds = config.singleRounds;
  const parts = String(config.only).split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = parts.filter((p) => !PARTS.includes(p));
  if (unknown.length > 0) throw new Error(`unknown part(s) ${unknown.join(', ')}; parts: ${PARTS.join(', ')}`);
  config.parts = PARTS.filter((p) => parts.includes(p) && (config.memory || (p !== 'memory' && p !== 'cycles')));
  config.burstWarmup ??= config.parts.includes('single') ? 0 : 1;
  return config;
}

/** The CPU count both sides see; the burst sizes must be the same on both. */
async function cpuCountOf(drivers, log) {
  const [node, python] = await Promise.all([drivers.node.call('info'), drivers.python.call('info')]);
  if (node.cpuCount !== python.cpuCount) log(`cpuCount() = ${node.cpuCount} but os.cpu_count() = ${python.cpuCount}: both sides use ${node.cpuCount}`);
  return node.cpuCount;
}

export async function run({ options, log }) {
  const config = configOf(options);
  const nodeEnv = { ...process.env };
  const stripped = {};
  if (!config.keepEnv) {
    for (const name of SLOW_BOOT_VARIABLES) {
      if (nodeEnv[name] === undefined) continue;
      stripped[name] = nodeEnv[name];
      delete nodeEnv[name];
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'mp-bench-start-'));
  const drivers = {
    node: new Driver('node', process.execPath, ['--expose-gc', here('./node-driver.mjs')], { env: nodeEnv }),
    python: startPythonDriver('python', here('./python_driver.py')),
  };
  const runners = { import: runImportTime, single: runSingle, burst: runBurst, sustained: runSustained, pool: runPoolChurn, memory: runIdleMemory, cycles: runCycles };
  const results = {};
  try {
    const cpus = await cpuCountOf(drivers, log);
    for (const part of config.parts) {
      log(`part ${part}`);
      const started = Date.now();
      results[part] = await runners[part]({ drivers, config, dir, log, stripped, cpus, nodeEnv });
      results[part].seconds = (Date.now() - started) / 1000;
    }
    return report({ config, stripped: Object.keys(stripped), results, cpus });
  } finally {
    await Promise.allSettled([drivers.node.close(), drivers.python.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function report({ config, stripped, results, cpus }) {
  const summariesByPart = Object.fromEntries(Object.entries(results).filter(([, r]) => Object.keys(r.summaries).length > 0).map(([part, r]) => [part, r.summaries]));
  const { goals, info } = evaluate(summariesByPart, { inARow: config.inARow });
  const sections = [
    `Parts run: ${config.parts.map((p) => `${p} (${results[p].seconds.toFixed(0)} s)`).join(', ')}; CPU count seen by both sides: ${cpus}.`,
    `Method: one long-lived driver per language runs every start (steady state); within each part the cases are interleaved, in an order ` +
      `rotated each round, and every case of a part gets the same pause before it. "First line" is CLOCK_MONOTONIC read by the target's ` +
      `first statement (\`process.hrtime.bigint()\` / \`time.monotonic_ns()\`), written to a file per child, against the same clock read in ` +
      `the parent just before \`start()\`. The target is an exported function of a small module (Node) / of the main script (CPython). ` +
      `Compare medians from the same run only.`,
    stripped.length > 0
      ? `This environment sets ${stripped.join(', ')}, which makes every Node.js process load a certificate file at boot (tens of ms); the ` +
        `Node driver and all its children, floors included, run without it (\`--keep-env\` keeps it), and the last single-start floor row ` +
        `shows what it costs.`
      : `Node children run without ${SLOW_BOOT_VARIABLES.join(', ')} (not set here${config.keepEnv ? '; --keep-env' : ''}).`,
  ];
  if (goals.length > 0 || info.length > 0) {
    sections.push('## Targets (ratios of medians; above 1x = multiprocessing-ts faster)');
    sections.push(targetsTable(goals, info));
  }
  for (const part of config.parts) sections.push(...results[part].sections);
  return {
    markdown: sections.join('\n\n'),
    json: {
      config,
      unit: 'ms',
      clock: 'CLOCK_MONOTONIC',
      environmentStripped: stripped,
      cpuCount: cpus,
      targets: goals.map(({ part, what, faster, slower, metric, goal, ratio, met }) => ({ part, what, faster, slower, metric, goal, ratio, met })),
      ratios: info.map(({ part, what, faster, slower, metric, ratio }) => ({ part, what, faster, slower, metric, ratio })),
      parts: Object.fromEntries(Object.entries(results).map(([part, r]) => [part, { seconds: r.seconds, ...r.json }])),
    },
  };
}
