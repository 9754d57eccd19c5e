// Burst: n children started at once by a synchronous loop of start() calls (as CPython's
// `for i in range(n): Process(...).start()`), then all joined. Measures how the start methods
// cope when starts queue up behind each other on a small machine.
import { rotate } from '../../lib/stats.mjs';
import { fmtMs, markdownTable } from '../../lib/table.mjs';
import { FLOOR_CASES, METHOD_CASES } from './cases.mjs';
import { spreadMs, summarizeFields } from './summaries.mjs';

const METHODS = [...METHOD_CASES, ...FLOOR_CASES];

/** The groups of one burst size each: `n5` (five at once) and `cpus` (twice the CPU count). */
export function burstGroups(cpus) {
  return [
    { key: 'n5', n: 5, title: '5 at once' },
    { key: 'cpus', n: cpus * 2, title: `${cpus * 2} at once (CPU count × 2)` },
  ];
}

export async function runBurst({ drivers, config, dir, log, cpus }) {
  const groups = burstGroups(cpus);
  const cases = groups.flatMap((g) => METHODS.map((m) => ({ ...m, id: `${g.key}:${m.id}`, group: g, method: m })));
  const samples = Object.fromEntries(cases.map((c) => [c.id, []]));
  const burstOf = (c, tag) => drivers[c.lang].call('burst', { ...c.params, n: c.group.n, dir, settleMs: config.groupSettle, tag });
  log(`burst: ${config.burstWarmup} untimed warm-up burst(s) per case`);
  for (let i = 0; i < config.burstWarmup; i++) for (const c of cases) await burstOf(c, `w${i}`);
  for (let round = 0; round < config.burstRounds; round++) {
    for (const c of rotate(cases, round)) samples[c.id].push(await burstOf(c, `r${round}`));
    const line = cases.map((c) => `${c.id} ${fmtMs(samples[c.id].at(-1).lastFirstLine)}`).join(', ');
    log(`burst round ${round + 1}/${config.burstRounds} (first start → last first line, ms): ${line}`);
  }
  const summaries = Object.fromEntries(cases.map((c) => [c.id, summarizeFields(samples[c.id], ['startCalls', 'firstLine', 'lastFirstLine', 'join'])]));
  const sections = [
    '## Burst: several starts at once',
    `A synchronous loop of n \`start()\` calls (a new Process each, as \`for i in range(n): Process(...).start()\`), then every child joined. ` +
      `"Last first line": from just before the first \`start()\` to the first line of the child that began last (each target stamps ` +
      `CLOCK_MONOTONIC). ${config.burstWarmup} untimed warm-up burst(s) per case, then ${config.burstRounds} rounds, every case of both sizes ` +
      `interleaved in an order rotated each round; before every burst the driver pauses ${config.groupSettle} ms, for every case alike ` +
      `(the previous children finish exiting, forkserver boots its replacement spares). n is the same on both sides: ` +
      `\`cpuCount()\` = \`os.cpu_count()\` = ${cpus} here. Times in ms: median (p10–p90).`,
    ...groups.flatMap((g) => [
      `### ${g.title}`,
      markdownTable(
        ['case', 'start() calls', 'first child\'s first line', 'last child\'s first line', 'all joined', 'n'],
        METHODS.map((m) => {
          const s = summaries[`${g.key}:${m.id}`];
          return [m.label, fmtMs(s.startCalls.median), spreadMs(s.firstLine), spreadMs(s.lastFirstLine), spreadMs(s.join), s.join.n];
        }),
      ),
    ]),
  ];
  const json = {
    groups,
    cases: Object.fromEntries(cases.map((c) => [c.id, { label: c.label, lang: c.lang, n: c.group.n, params: c.params, summary: summaries[c.id], samples: samples[c.id] }])),
  };
  return { summaries, sections, json };
}
