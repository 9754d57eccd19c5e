// The single warm start: start() -> the target's first line, and -> join() resolved, one child at a
// time, with a pause before every start so forkserver is measured with its spares booted.
import { rotate } from '../../lib/stats.mjs';
import { fmtMs, markdownTable } from '../../lib/table.mjs';
import { METHOD_CASES } from './cases.mjs';
import { spreadMs, summarizeFields } from './summaries.mjs';

function casesFor(stripped) {
  const cases = [
    ...METHOD_CASES,
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

const OVERHEADS = [
  { what: 'spawn over a bare Node process', of: 'ts-spawn', over: 'node-process' },
  { what: 'thread over a bare Worker', of: 'ts-thread', over: 'node-worker' },
];

export async function runSingle({ drivers, config, dir, log, stripped }) {
  const cases = casesFor(stripped);
  const samples = Object.fromEntries(cases.map((c) => [c.id, []]));
  const startCase = (c, tag) => drivers[c.lang].call('start', { ...c.params, dir, settleMs: config.settle, tag });
  log(`single: ${config.warmup} untimed warm-up start(s) per case`);
  for (let i = 0; i < config.warmup; i++) for (const c of cases) await startCase(c, `w${i}`);
  for (let round = 0; round < config.rounds; round++) {
    for (const c of rotate(cases, round)) samples[c.id].push(await startCase(c, `r${round}`));
    const line = cases.map((c) => `${c.id} ${fmtMs(samples[c.id].at(-1).firstLine)}`).join(', ');
    log(`single round ${round + 1}/${config.rounds} (start → first line, ms): ${line}`);
  }
  const summaries = Object.fromEntries(cases.map((c) => [c.id, summarizeFields(samples[c.id], ['startCall', 'firstLine', 'join'])]));
  const overheads = OVERHEADS.map((o) => ({
    ...o,
    firstLine: summaries[o.of].firstLine.median - summaries[o.over].firstLine.median,
    join: summaries[o.of].join.median - summaries[o.over].join.median,
  }));
  const signed = (ms) => `${ms >= 0 ? '+' : ''}${fmtMs(ms)}`;
  const sections = [
    '## Single warm start',
    `One start at a time; ${config.warmup} untimed warm-up start(s) per case, then ${config.rounds} timed rounds, cases in an order rotated ` +
      `each round. Before every timed start the driver pauses ${config.settle} ms, for every case alike, so forkserver is measured with its ` +
      `spares booted (its steady state) and the previous child has finished exiting; the "no pause" rows show a start that follows another at once.`,
    markdownTable(
      ['case', 'start() call', 'start → first line', 'start → join() resolved', 'n'],
      cases.map((c) => {
        const s = summaries[c.id];
        return [c.label, fmtMs(s.startCall.median), spreadMs(s.firstLine), spreadMs(s.join), s.firstLine.n];
      }),
    ),
    'What the package adds over the floor (difference of medians, ms):',
    markdownTable(
      ['', 'start → first line', 'start → join'],
      overheads.map((o) => [o.what, signed(o.firstLine), signed(o.join)]),
    ),
  ];
  const json = {
    cases: Object.fromEntries(
      cases.map((c) => [c.id, { label: c.label, lang: c.lang, params: { ...c.params, env: undefined }, summary: summaries[c.id], samples: samples[c.id] }]),
    ),
    overheads,
  };
  return { summaries, sections, json };
}
