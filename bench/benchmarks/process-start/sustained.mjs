// Sustained: starts in a row (start, wait for the first line, join, next), with no pause between
// them, so forkserver's spares must be re-booted as fast as they are used.
import { rotate, summarize } from '../../lib/stats.mjs';
import { fmtMs, markdownTable } from '../../lib/table.mjs';
import { FLOOR_CASES, METHOD_CASES } from './cases.mjs';
import { spreadMs } from './summaries.mjs';

const CASES = [...METHOD_CASES, ...FLOOR_CASES];

export async function runSustained({ drivers, config, dir, log }) {
  const n = config.inARow;
  const samples = Object.fromEntries(CASES.map((c) => [c.id, []]));
  const rowOf = (c, tag) => drivers[c.lang].call('sustained', { ...c.params, n, dir, settleMs: config.groupSettle, tag }, { timeoutMs: 60_000 + n * 5_000 });
  for (let round = 0; round < config.sustainedRounds; round++) {
    for (const c of rotate(CASES, round)) samples[c.id].push(await rowOf(c, `r${round}`));
    const line = CASES.map((c) => `${c.id} ${fmtMs(samples[c.id].at(-1).totalMs)}`).join(', ');
    log(`sustained round ${round + 1}/${config.sustainedRounds} (${n} in a row, total ms): ${line}`);
  }
  const summaries = Object.fromEntries(
    CASES.map((c) => {
      const rows = samples[c.id];
      return [
        c.id,
        {
          total: summarize(rows.map((r) => r.totalMs)),
          firstLine: summarize(rows.flatMap((r) => r.firstLine)),
          cycle: summarize(rows.flatMap((r) => r.cycle)),
        },
      ];
    }),
  );
  const sections = [
    `## Sustained: ${n} starts in a row`,
    `${n} starts one after another with no pause: a new Process, \`start()\`, wait for it (the target stamps its first line), ` +
      `\`join()\`, next. Per start: median (p10–p90) over the ${n} × ${config.sustainedRounds} starts; total: from the first \`start()\` to ` +
      `the last \`join()\`, median (p10–p90) over ${config.sustainedRounds} rounds, cases in an order rotated each round, ` +
      `${config.groupSettle} ms pause before every row. Times in ms.`,
    markdownTable(
      ['case', 'per start: start → first line', 'per start: start → join', `total of ${n}`, 'rounds'],
      CASES.map((c) => {
        const s = summaries[c.id];
        return [c.label, spreadMs(s.firstLine), spreadMs(s.cycle), spreadMs(s.total), s.total.n];
      }),
    ),
  ];
  const json = { n, cases: Object.fromEntries(CASES.map((c) => [c.id, { label: c.label, lang: c.lang, params: c.params, summary: summaries[c.id], samples: samples[c.id] }])) };
  return { summaries, sections, json };
}
