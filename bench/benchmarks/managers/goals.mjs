// The speed goals of the managers benchmark, and comparisons shown for information. A ratio says
// how many times better multiprocessing-ts does, from the medians of one part of one run: for
// times `theirs / ours`, for rates `ours / theirs`; a goal is met when the ratio is at least
// `goal`. `theirs` may be a fixed limit ({ limit: ms }) instead of a CPython case.

const atLeast = (goal) => ({ goal, goalText: goal === 1 ? '> 1x' : `≥ ${goal}x` });
const within = (fraction) => ({ goal: 1 / fraction, goalText: `≤ ${fraction}x CPython's (≥ ${1 / fraction}x)` });
const under = (ms) => ({ theirs: { limit: ms }, goal: 1, goalText: `under ${ms} ms` });

export const GOALS = [
  { part: 'start', what: '`Manager()` → first proxy call: forkserver vs CPython fork', ours: 'ts-forkserver', theirs: 'py-fork', metric: 'firstProxy', kind: 'time', ...atLeast(1) },
  { part: 'start', what: '`Manager()` → first proxy call: thread vs CPython fork', ours: 'ts-thread', theirs: 'py-fork', metric: 'firstProxy', kind: 'time', ...atLeast(1) },
  { part: 'start', what: '`Manager()` → first proxy call: spawn vs CPython spawn', ours: 'ts-spawn', theirs: 'py-spawn', metric: 'firstProxy', kind: 'time', ...atLeast(1) },
  { part: 'calls', what: 'dict get p50, from the parent', ours: 'ts', theirs: 'py', metric: 'dictGetUs', kind: 'time', ...within(0.5) },
  { part: 'calls', what: 'list append p50, from the parent', ours: 'ts', theirs: 'py', metric: 'appendUs', kind: 'time', ...within(0.5) },
  { part: 'calls', what: 'dict get p50, from a child', ours: 'ts', theirs: 'py', metric: 'childDictGetUs', kind: 'time', ...within(0.5) },
  { part: 'calls', what: 'list append p50, from a child', ours: 'ts', theirs: 'py', metric: 'childAppendUs', kind: 'time', ...within(0.5) },
  { part: 'calls', what: 'proxy creation (`manager.list()`)', ours: 'ts', theirs: 'py', metric: 'createMs', kind: 'time', ...within(0.25) },
  { part: 'calls', what: 'pipelined appends/s vs CPython sequential appends/s', ours: 'ts', theirs: 'py', metric: 'pipelinedPerS', theirsMetric: 'appendsPerS', kind: 'rate', ...atLeast(10) },
  { part: 'multi', what: '4 processes appending to one list, aggregate appends/s (exact)', ours: 'ts-append', theirs: 'py-append', metric: 'perS', kind: 'rate', ...atLeast(3) },
  { part: 'multi', what: '4 processes, Lock + Value increments/s (exact)', ours: 'ts-lock', theirs: 'py-lock', metric: 'perS', kind: 'rate', ...atLeast(2) },
  { part: 'multi', what: 'Queue proxy, child → parent items/s', ours: 'ts-queue', theirs: 'py-queue', metric: 'perS', kind: 'rate', ...atLeast(2) },
  { part: 'remote', what: 'remote `connect()` over TCP with an authkey', ours: 'ts', metric: 'connectMs', kind: 'time', ...under(2) },
  { part: 'remote', what: 'remote proxy creation over TCP', ours: 'ts', metric: 'createMs', kind: 'time', ...under(2) },
];

export const INFO = [
  { part: 'start', what: '`Manager()` → first proxy call: forkserver vs CPython forkserver', ours: 'ts-forkserver', theirs: 'py-forkserver', metric: 'firstProxy', kind: 'time' },
  { part: 'calls', what: 'dict get p50, from a child, after 4,000 more calls', ours: 'ts', theirs: 'py', metric: 'childSettledDictGetUs', kind: 'time' },
  { part: 'calls', what: 'dict set+get pairs/s', ours: 'ts', theirs: 'py', metric: 'dictPairsPerS', kind: 'rate' },
  { part: 'calls', what: 'sequential list appends/s', ours: 'ts', theirs: 'py', metric: 'appendsPerS', kind: 'rate' },
  { part: 'calls', what: 'CPU time per sequential append, client + server', ours: 'ts', theirs: 'py', metric: 'appendCpuUs', kind: 'time' },
  { part: 'multi', what: '4 processes appending, each with batches in flight, vs CPython sequential', ours: 'ts-append-pipelined', theirs: 'py-append', metric: 'perS', kind: 'rate' },
  { part: 'remote', what: 'remote `connect()` vs CPython', ours: 'ts', theirs: 'py', metric: 'connectMs', kind: 'time' },
  { part: 'remote', what: 'remote proxy creation vs CPython', ours: 'ts', theirs: 'py', metric: 'createMs', kind: 'time' },
  { part: 'remote', what: 'remote call p50 vs CPython', ours: 'ts', theirs: 'py', metric: 'callUs', kind: 'time' },
];

/** The ratio of a comparison from the parts' summaries ({ part: { case: { metric: summary } } }); NaN when not measured. */
export function ratioOf(c, summariesByPart) {
  const summaries = summariesByPart[c.part];
  const ours = summaries?.[c.ours]?.[c.metric]?.median;
  const theirs = typeof c.theirs === 'object' ? c.theirs.limit : summaries?.[c.theirs]?.[c.theirsMetric ?? c.metric]?.median;
  if (ours === undefined || theirs === undefined) return NaN;
  return c.kind === 'time' ? theirs / ours : ours / theirs;
}

/** Goals (with their status) and information rows of the parts that ran. */
export function evaluate(summariesByPart) {
  const ran = (c) => c.part in summariesByPart;
  const goals = GOALS.filter(ran).map((g) => {
    const ratio = ratioOf(g, summariesByPart);
    return { ...g, ratio, met: Number.isNaN(ratio) ? null : ratio >= g.goal };
  });
  const info = INFO.filter(ran).map((r) => ({ ...r, ratio: ratioOf(r, summariesByPart) }));
  return { goals, info };
}
