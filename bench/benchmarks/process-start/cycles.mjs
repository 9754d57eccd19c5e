// The parent's memory across many sequential start/join cycles: what a long-running program that
// keeps starting children would see.
import { fmtMiB, fmtMs, markdownTable } from '../../lib/table.mjs';

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

export async function runCycles({ drivers, config, log }) {
  const plan = [
    { method: 'thread', n: config.cycles },
    { method: 'forkserver', n: config.cycles },
    { method: 'spawn', n: config.spawnCycles },
  ];
  const results = [];
  for (const { method, n } of plan) {
    log(`${n} sequential start/join cycles on ${method}`);
    results.push(await drivers.node.call('cycles', { method, n, warmup: config.cycleWarmup, checkpoints: config.checkpoints }, { timeoutMs: 60_000 + n * 5_000 }));
  }
  const cycleSummaries = results.map((c) => ({ ...c, ...verdictOfCycles(c) }));
  const sections = [
    '## Parent memory across sequential start/join cycles',
    `The Node driver (\`node --expose-gc\`) runs ${config.cycleWarmup} warm-up cycles, then N cycles of ` +
      `\`new Process({ target: noop }); p.start(); await p.join()\` back to back, with no pause (so forkserver hands each start to a ` +
      `spare booted after an earlier one, ready or not). Memory is read after a full GC (\`gc()\` four times) before, at ` +
      `${config.checkpoints} checkpoints, and after. "resources" = \`process.getActiveResourcesInfo().length\`; "children" = live child ` +
      `processes of the driver (forkserver keeps its spares). Verdict "no growth": heapUsed grew < 512 KiB; RSS net of heapTotal (the heap V8 ` +
      `reserves, whose young generation grows with the allocation rate and shrinks later) did not stay > 8 MiB up through the second ` +
      `half; resources and children came back (± a spare's IPC pipe).`,
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
    markdownTable(
      ['method', 'RSS / heapTotal / heapUsed (MiB) after N cycles'],
      cycleSummaries.map((c) => [
        c.method,
        c.series.map((s) => `${s.cycles}: ${[s.rss, s.heapTotal].map((v) => (v / 2 ** 20).toFixed(1)).join(' / ')} / ${(s.heapUsed / 2 ** 20).toFixed(2)}`).join(' · '),
      ]),
    ),
  ];
  return { summaries: {}, sections, json: cycleSummaries };
}
