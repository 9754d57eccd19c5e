// The speed goals of the benchmark, and comparisons shown for information. Every ratio is the
// median time of `slower` over the median time of `faster` (for the pool: the ratio of tasks per
// second), within one part of one run: above 1x, `faster` is faster. A goal is met when the ratio
// is at least `goal`.

const faster = (goal = 1) => ({ goal, goalText: goal === 1 ? '> 1x' : `≥ ${goal}x` });

export const GOALS = [
  { part: 'import', what: 'importing the package in a fresh process: under 30 ms', faster: 'ts-import', slower: 'limit', metric: 'import', ...faster() },
  { part: 'single', what: 'single start: forkserver vs spawn, start → first line', faster: 'ts-forkserver', slower: 'ts-spawn', metric: 'firstLine', ...faster(10) },
  { part: 'single', what: 'single start: forkserver vs CPython forkserver, start → first line', faster: 'ts-forkserver', slower: 'py-forkserver', metric: 'firstLine', ...faster() },
  { part: 'single', what: 'single start: thread vs CPython spawn, start → first line', faster: 'ts-thread', slower: 'py-spawn', metric: 'firstLine', ...faster() },
  { part: 'burst', what: '5 at once: forkserver vs CPython forkserver, → last first line', faster: 'n5:ts-forkserver', slower: 'n5:py-forkserver', metric: 'lastFirstLine', ...faster() },
  { part: 'burst', what: '5 at once: thread vs CPython fork, → last first line', faster: 'n5:ts-thread', slower: 'n5:py-fork', metric: 'lastFirstLine', ...faster() },
  { part: 'burst', what: '5 at once: spawn vs CPython spawn, → last first line', faster: 'n5:ts-spawn', slower: 'n5:py-spawn', metric: 'lastFirstLine', ...faster() },
  {
    part: 'sustained',
    what: '20 in a row: forkserver vs bare `node` processes, total',
    faster: 'ts-forkserver',
    slower: 'node-process',
    metric: 'total',
    goal: 1 / 1.5,
    goalText: 'within 1.5x (≥ 0.67x)',
  },
  { part: 'sustained', what: '20 in a row: thread vs CPython fork, total', faster: 'ts-thread', slower: 'py-fork', metric: 'total', ...faster() },
  { part: 'pool', what: 'Pool churn: forkserver vs CPython forkserver, tasks / s', faster: 'ts-forkserver', slower: 'py-forkserver', metric: 'map', ...faster() },
  { part: 'pool', what: 'Pool churn: thread vs CPython fork, tasks / s', faster: 'ts-thread', slower: 'py-fork', metric: 'map', ...faster() },
  { part: 'pool', what: 'Pool churn: spawn vs CPython spawn, tasks / s', faster: 'ts-spawn', slower: 'py-spawn', metric: 'map', ...faster() },
];

export const INFO = [
  { part: 'import', what: 'importing: multiprocessing-ts vs CPython `import multiprocessing`', faster: 'ts-import', slower: 'py-import', metric: 'import' },
  { part: 'single', what: 'single start: forkserver vs spawn, start → join', faster: 'ts-forkserver', slower: 'ts-spawn', metric: 'join' },
  { part: 'single', what: 'single start: forkserver vs CPython forkserver, start → join', faster: 'ts-forkserver', slower: 'py-forkserver', metric: 'join' },
  { part: 'single', what: 'single start: thread vs CPython spawn, start → join', faster: 'ts-thread', slower: 'py-spawn', metric: 'join' },
  { part: 'single', what: 'single start: spawn vs CPython spawn, start → first line', faster: 'ts-spawn', slower: 'py-spawn', metric: 'firstLine' },
  { part: 'single', what: 'single start: forkserver vs CPython fork, start → first line', faster: 'ts-forkserver', slower: 'py-fork', metric: 'firstLine' },
  { part: 'single', what: 'single start: thread vs CPython fork, start → first line', faster: 'ts-thread', slower: 'py-fork', metric: 'firstLine' },
  { part: 'single', what: 'single start, no pause: forkserver vs CPython forkserver, start → first line', faster: 'ts-forkserver-b2b', slower: 'py-forkserver-b2b', metric: 'firstLine' },
  { part: 'burst', what: '5 at once: forkserver vs CPython forkserver, → all joined', faster: 'n5:ts-forkserver', slower: 'n5:py-forkserver', metric: 'join' },
  { part: 'burst', what: '5 at once: forkserver vs bare `node` processes, → last first line', faster: 'n5:ts-forkserver', slower: 'n5:node-process', metric: 'lastFirstLine' },
  { part: 'burst', what: 'CPU count × 2 at once: forkserver vs CPython forkserver, → last first line', faster: 'cpus:ts-forkserver', slower: 'cpus:py-forkserver', metric: 'lastFirstLine' },
  { part: 'burst', what: 'CPU count × 2 at once: thread vs CPython fork, → last first line', faster: 'cpus:ts-thread', slower: 'cpus:py-fork', metric: 'lastFirstLine' },
  { part: 'burst', what: 'CPU count × 2 at once: spawn vs CPython spawn, → last first line', faster: 'cpus:ts-spawn', slower: 'cpus:py-spawn', metric: 'lastFirstLine' },
  { part: 'sustained', what: '20 in a row: forkserver vs CPython forkserver, total', faster: 'ts-forkserver', slower: 'py-forkserver', metric: 'total' },
  { part: 'sustained', what: '20 in a row: spawn vs CPython spawn, total', faster: 'ts-spawn', slower: 'py-spawn', metric: 'total' },
  { part: 'sustained', what: '20 in a row: forkserver vs bare `node` processes, per start → first line', faster: 'ts-forkserver', slower: 'node-process', metric: 'firstLine' },
  { part: 'pool', what: 'Pool churn: forkserver vs CPython fork, tasks / s', faster: 'ts-forkserver', slower: 'py-fork', metric: 'map' },
];

/** The ratio of a comparison from the parts' summaries; NaN when its part did not run. */
export function ratioOf(comparison, summariesByPart) {
  const summaries = summariesByPart[comparison.part];
  if (!summaries) return NaN;
  return summaries[comparison.slower][comparison.metric].median / summaries[comparison.faster][comparison.metric].median;
}

/**
 * Goals and information rows with their ratios and status, for the parts that ran; `inARow`: the
 * length of the sustained rows, if not the default 20.
 */
export function evaluate(summariesByPart, { inARow = 20 } = {}) {
  const ran = (c) => c.part in summariesByPart;
  const named = (c) => ({ ...c, what: c.what.replace(/^20 in a row/, `${inARow} in a row`) });
  const goals = GOALS.filter(ran).map((g) => {
    const ratio = ratioOf(g, summariesByPart);
    return { ...named(g), ratio, met: ratio >= g.goal };
  });
  const info = INFO.filter(ran).map((r) => ({ ...named(r), ratio: ratioOf(r, summariesByPart) }));
  return { goals, info };
}
