// Pool churn: a Pool whose workers run one task each (maxTasksPerChild 1 / maxtasksperchild=1),
// so the pool's throughput is bounded by how fast it can start replacement workers.
import { rotate } from '../../lib/stats.mjs';
import { fmtMs, markdownTable } from '../../lib/table.mjs';
import { rateSpread, spreadMs, summarizeFields } from './summaries.mjs';

const CASES = [
  { id: 'ts-spawn', label: 'multiprocessing-ts Pool, spawn', lang: 'node', method: 'spawn' },
  { id: 'ts-forkserver', label: 'multiprocessing-ts Pool, forkserver', lang: 'node', method: 'forkserver' },
  { id: 'ts-thread', label: 'multiprocessing-ts Pool, thread', lang: 'node', method: 'thread' },
  { id: 'py-spawn', label: 'CPython Pool, spawn', lang: 'python', method: 'spawn' },
  { id: 'py-forkserver', label: 'CPython Pool, forkserver', lang: 'python', method: 'forkserver' },
  { id: 'py-fork', label: 'CPython Pool, fork', lang: 'python', method: 'fork' },
];

export async function runPoolChurn({ drivers, config, log }) {
  const { poolProcesses: processes, poolTasks: tasks } = config;
  const samples = Object.fromEntries(CASES.map((c) => [c.id, []]));
  const churnOf = (c) =>
    drivers[c.lang].call('poolChurn', { method: c.method, processes, tasks, settleMs: config.groupSettle }, { timeoutMs: 60_000 + tasks * 5_000 });
  for (let round = 0; round < config.poolRounds; round++) {
    for (const c of rotate(CASES, round)) samples[c.id].push(await churnOf(c));
    const line = CASES.map((c) => `${c.id} ${fmtMs(samples[c.id].at(-1).map)}`).join(', ');
    log(`pool churn round ${round + 1}/${config.poolRounds} (map of ${tasks}, ms): ${line}`);
  }
  const summaries = Object.fromEntries(CASES.map((c) => [c.id, summarizeFields(samples[c.id], ['create', 'map', 'closeJoin', 'total'])]));
  const sections = [
    '## Pool churn: a fresh worker for every task',
    `\`Pool(${processes})\` with \`maxTasksPerChild: 1\` (CPython: \`Pool(${processes}, maxtasksperchild=1)\`), then ` +
      `\`map(square, range(${tasks}))\` with chunksize 1: each worker runs one task and is replaced, so the pool runs as fast as it ` +
      `starts workers. Tasks per second = ${tasks} / the time of the \`map\` call (median, p10–p90 of ${config.poolRounds} rounds, ` +
      `cases in an order rotated each round, ${config.groupSettle} ms pause before each). Creation and close + join are timed apart (ms).`,
    markdownTable(
      ['case', 'tasks / s', `map of ${tasks}`, 'Pool() call', 'close + join', 'create → joined', 'rounds'],
      CASES.map((c) => {
        const s = summaries[c.id];
        return [c.label, rateSpread(s.map, tasks), spreadMs(s.map), fmtMs(s.create.median), fmtMs(s.closeJoin.median), spreadMs(s.total), s.map.n];
      }),
    ),
  ];
  const json = { processes, tasks, cases: Object.fromEntries(CASES.map((c) => [c.id, { label: c.label, lang: c.lang, method: c.method, summary: summaries[c.id], samples: samples[c.id] }])) };
  return { summaries, sections, json };
}
