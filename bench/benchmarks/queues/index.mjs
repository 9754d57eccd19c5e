// Benchmark — queues. Side by side with CPython's multiprocessing in one run: one process puts
// items into a queue and a spawned child takes them: 200,000 small items (ints, short strings),
// then 1 MiB items (Uint8Array / bytes). multiprocessing-ts is measured with `await put()/get()`
// and with the Sync twins (`putSync`/`getSync`); CPython with `mp.Queue`'s put/get.
//
// Method: one long-lived driver per language (node-driver.mjs, python_driver.py). Every round runs
// each case once, in an order rotated from round to round, so slow drifts on the machine spread
// over all cases; reports give medians across rounds with p10–p90. The consumer child is started
// per sample and says when it is about to take its first item; the time runs from just before the
// first put (in the parent) to just after the last get (in the child), on CLOCK_MONOTONIC in both.
// Every sample checks that every item arrived intact (a checksum over all of them).
//
// Options (node run.mjs queues --name=value): see DEFAULTS.
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Driver } from '../../lib/driver.mjs';
import { startPythonDriver } from '../../lib/python.mjs';
import { median, rotate, summarize } from '../../lib/stats.mjs';
import { markdownTable, targetsTable } from '../../lib/table.mjs';

export const title = 'Queues: multiprocessing-ts vs CPython multiprocessing';
export const description =
  'Queue throughput between two processes (spawn): 200,000 small items, 1 MiB items; async and Sync twins vs CPython mp.Queue';

const DEFAULTS = {
  rounds: 5, // samples per case (each case once per round, rotated order)
  items: 200_000, // small items per sample
  bigItems: 200, // 1 MiB items per sample
  bigSize: 1024 * 1024, // bytes per big item
  method: 'spawn', // start method of the consumer child (both languages)
};

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

function cases(config) {
  const small = [];
  const big = [];
  for (const item of ['int', 'str']) {
    const what = item === 'int' ? 'ints' : 'short strings (`item-<i>`)';
    small.push({ id: `ts-${item}-async`, label: `multiprocessing-ts \`Queue\`, ${what}, \`await put()\` / \`await get()\``, lang: 'node', params: { item, mode: 'async' } });
    small.push({ id: `ts-${item}-sync`, label: `multiprocessing-ts \`Queue\`, ${what}, \`putSync()\` / \`getSync()\``, lang: 'node', params: { item, mode: 'sync' } });
    small.push({ id: `py-${item}`, label: `CPython \`mp.Queue\`, ${what}`, lang: 'python', params: { item, mode: 'sync' } });
  }
  big.push({ id: 'ts-bytes-async', label: 'multiprocessing-ts `Queue`, 1 MiB `Uint8Array`s, `await put()` / `await get()`', lang: 'node', params: { item: 'bytes', mode: 'async' } });
  big.push({ id: 'ts-bytes-sync', label: 'multiprocessing-ts `Queue`, 1 MiB `Uint8Array`s, `putSync()` / `getSync()`', lang: 'node', params: { item: 'bytes', mode: 'sync' } });
  big.push({ id: 'py-bytes', label: 'CPython `mp.Queue`, 1 MiB `bytes`', lang: 'python', params: { item: 'bytes', mode: 'sync' } });
  for (const c of small) Object.assign(c.params, { method: config.method, n: config.items, size: 0 });
  for (const c of big) Object.assign(c.params, { method: config.method, n: config.bigItems, size: config.bigSize });
  return { small, big };
}

// Ratios of medians: ours / CPython's throughput (above 1x = multiprocessing-ts faster).
const TARGETS = [
  { id: 'small-async', what: 'small items (ints), `await put()/get()` vs CPython `mp.Queue`', ours: 'ts-int-async', theirs: 'py-int', goal: 5, goalText: '≥ 5x' },
  { id: 'small-sync', what: 'small items (ints), `putSync()/getSync()` vs CPython `mp.Queue`', ours: 'ts-int-sync', theirs: 'py-int', goal: 5, goalText: '≥ 5x' },
  { id: 'big-async', what: '1 MiB items, MB/s, `await put()/get()` vs CPython `mp.Queue`', ours: 'ts-bytes-async', theirs: 'py-bytes', goal: 2, goalText: '≥ 2x' },
  { id: 'big-sync', what: '1 MiB items, MB/s, `putSync()/getSync()` vs CPython `mp.Queue`', ours: 'ts-bytes-sync', theirs: 'py-bytes', goal: 2, goalText: '≥ 2x' },
];
const INFO = [
  { what: 'short strings, `await put()/get()` vs CPython `mp.Queue`', ours: 'ts-str-async', theirs: 'py-str' },
  { what: 'short strings, `putSync()/getSync()` vs CPython `mp.Queue`', ours: 'ts-str-sync', theirs: 'py-str' },
];

export async function run({ options, log }) {
  const config = { ...DEFAULTS, ...options };
  const drivers = {
    node: new Driver('node', process.execPath, [here('./node-driver.mjs')]),
    python: startPythonDriver('python', here('./python_driver.py')),
  };
  try {
    const groups = cases(config);
    const all = [...groups.small, ...groups.big];
    const samples = Object.fromEntries(all.map((c) => [c.id, []]));
    for (let round = 0; round < config.rounds; round++) {
      for (const group of [groups.small, groups.big]) {
        for (const c of rotate(group, round)) {
          const r = await drivers[c.lang].call('throughput', c.params, { timeoutMs: 300_000 });
          samples[c.id].push({ value: c.params.item === 'bytes' ? r.mbPerSecond : r.itemsPerSecond, ...r });
        }
      }
      log(`round ${round + 1}/${config.rounds}: ${all.map((c) => `${c.id} ${fmtRate(samples[c.id].at(-1).value)}`).join(', ')}`);
    }
    return report({ config, groups, samples, loadAtEnd: loadavg().map((v) => Number(v.toFixed(2))) });
  } finally {
    await Promise.allSettled([drivers.node.close(), drivers.python.close()]);
  }
}

function fmtRate(value) {
  if (!Number.isFinite(value)) return '-';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  return value.toFixed(0);
}

const spread = (s) => `${fmtRate(s.median)} (${fmtRate(s.p10)}–${fmtRate(s.p90)})`;

function report({ config, groups, samples, loadAtEnd }) {
  const summaries = {};
  for (const c of [...groups.small, ...groups.big]) summaries[c.id] = summarize(samples[c.id].map((s) => s.value));
  const ratioOf = (r) => summaries[r.ours].median / summaries[r.theirs].median;
  const targets = TARGETS.map((t) => ({ ...t, ratio: ratioOf(t), met: ratioOf(t) >= t.goal }));
  const info = INFO.map((r) => ({ ...r, ratio: ratioOf(r) }));
  const sections = [];
  sections.push(
    `Method: one long-lived driver per language; ${config.rounds} rounds, each running every case once in an order rotated from ` +
      `round to round; medians across rounds with p10–p90 in parentheses. The driver process puts, a ${config.method} child takes; ` +
      `the time runs from just before the first put (parent) to just after the last get (child), on CLOCK_MONOTONIC in both. ` +
      `Every sample checks a checksum over all items. Items are made in the loop (\`i\`, \`\`\`item-\${i}\`\`\`) in both languages; ` +
      `the 1 MiB item is one array put again and again. Load average at the end: ${loadAtEnd.join(' / ')}.`,
  );
  sections.push('## Targets (ratios of medians)');
  sections.push(
    targetsTable(targets, info),
  );
  sections.push('Ratios: our throughput / CPython\'s (above 1x = multiprocessing-ts faster).');
  // CPU time of both processes per item: what the work costs, whatever else the machine runs.
  const cpuPerItem = (c) => median(samples[c.id].map((s) => s.cpuMs / c.params.n));
  const cpuNote =
    'CPU = user + system time of both processes (all their threads: CPython\'s feeder, our addon\'s waiter threads), ' +
    'median per item; it does not depend on how busy the machine is, where the rates do.';
  sections.push(`## ${config.items.toLocaleString('en-US')} small items`);
  sections.push(
    markdownTable(
      ['case', 'items/s', 'CPU µs per item', 'n'],
      groups.small.map((c) => [c.label, spread(summaries[c.id]), (cpuPerItem(c) * 1000).toFixed(2), summaries[c.id].n]),
    ),
  );
  sections.push(`## ${config.bigItems.toLocaleString('en-US')} items of ${(config.bigSize / 1024 / 1024).toFixed(config.bigSize % (1024 * 1024) ? 2 : 0)} MiB`);
  sections.push(
    markdownTable(
      ['case', 'MB/s', 'CPU ms per item', 'n'],
      groups.big.map((c) => [c.label, spread(summaries[c.id]), cpuPerItem(c).toFixed(3), summaries[c.id].n]),
    ),
  );
  sections.push(cpuNote);
  const clean = (list) => list.map((c) => ({ id: c.id, label: c.label, lang: c.lang, params: c.params, summary: summaries[c.id], samples: samples[c.id] }));
  return {
    markdown: sections.join('\n\n'),
    json: {
      config,
      loadAtEnd,
      units: { small: 'items per second', big: 'MB per second (10^6 bytes)' },
      small: clean(groups.small),
      big: clean(groups.big),
      targets: targets.map(({ id, what, ours, theirs, goal, goalText, ratio, met }) => ({ id, what, ours, theirs, goal, goalText, ratio, met })),
      ratios: info.map(({ what, ours, theirs, ratio }) => ({ what, ours, theirs, ratio })),
    },
  };
}
