// Memory of an idle child per start method (for thread: what one idle thread adds to its parent),
// next to a bare Node.js and a bare CPython process.
import { median, rotate } from '../../lib/stats.mjs';
import { fmtMiB, markdownTable } from '../../lib/table.mjs';

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

const FIELDS = ['vmRss', 'rssAnon', 'pss', 'private'];

export async function runIdleMemory({ drivers, config, dir, log }) {
  const readings = Object.fromEntries(IDLE_CASES.map((c) => [c.id, []]));
  for (let i = 0; i < config.rssSamples; i++) {
    for (const c of rotate(IDLE_CASES, i)) {
      readings[c.id].push(await drivers[c.lang].call('idleRss', { method: c.method, dir, settleMs: config.idleSettle }));
    }
    log(`idle memory reading ${i + 1}/${config.rssSamples}`);
  }
  const idleMemory = Object.fromEntries(
    IDLE_CASES.map((c) => {
      const of = (field) => median(readings[c.id].map((r) => r[field] ?? NaN));
      return [c.id, { label: c.label, ...Object.fromEntries(FIELDS.map((f) => [f, of(f)])), readings: readings[c.id] }];
    }),
  );
  const sections = [
    '## Memory of an idle child',
    `The child's target writes a ready file, then waits (a 10 ms poll for a release file); ${config.idleSettle} ms after it is ready, ` +
      `/proc/<pid>/status (VmRSS, RssAnon) and /proc/<pid>/smaps_rollup (Pss: shared pages divided among the processes sharing them; ` +
      `private: Private_Clean + Private_Dirty, the pages no other process maps, which ending the child frees) are read. ` +
      `Median of ${config.rssSamples} readings, cases in an order rotated each time. For thread: how much the parent's own numbers grow ` +
      `while one thread idles (after a full GC).`,
    markdownTable(
      ['process', 'VmRSS', 'RssAnon', 'Pss', 'private (Private_Clean + Private_Dirty)'],
      IDLE_CASES.map((c) => {
        const m = idleMemory[c.id];
        return [m.label, fmtMiB(m.vmRss), fmtMiB(m.rssAnon), fmtMiB(m.pss), fmtMiB(m.private)];
      }),
    ),
  ];
  return { summaries: {}, sections, json: idleMemory };
}
