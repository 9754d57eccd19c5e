// Benchmark — connections. Side by side with CPython's multiprocessing.connection in one run:
// Pipe round-trip latency (send + receive an echo of a small value) between a parent and one
// spawn child, with `await recv()` and with the blocking twin `recvSync()`; and Listener/Client
// bytes throughput over loopback TCP (sendBytes/recvBytes of 64 KiB and 1 MiB messages) against
// a raw Node `net` socket moving the same bytes, and against CPython's Listener/Client.
//
// Method: one long-lived driver per language (node-driver.mjs, python_driver.py). Every round runs
// each case once, in an order rotated from round to round, so slow drifts on the machine spread
// over all cases; reports give medians across rounds with p10–p90. Children are started per
// sample; only steady work is timed (round trips after `warmupTrips` untimed ones; bytes from
// the accepted connection to the last byte).
//
// Options (node run.mjs connection --name=value): see DEFAULTS.
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Driver } from '../../lib/driver.mjs';
import { startPythonDriver } from '../../lib/python.mjs';
import { rotate, summarize } from '../../lib/stats.mjs';
import { markdownTable, targetsTable } from '../../lib/table.mjs';

export const title = 'Connections: multiprocessing-ts vs CPython multiprocessing.connection (and raw Node sockets)';
export const description =
  'Pipe round-trip latency (await and Sync) vs CPython Pipe; Listener/Client loopback TCP throughput of 64 KiB and 1 MiB messages vs a raw Node socket and CPython';

const DEFAULTS = {
  rounds: 5, // samples per case (each case once per round, rotated order)
  trips: 5_000, // timed round trips per latency sample
  warmupTrips: 500, // untimed round trips first
  sizes: '65536,1048576', // message sizes for throughput (bytes, comma-separated)
  mebibytes: 128, // bytes moved per throughput sample, in MiB
  windowMiB: 4, // the receiver acknowledges every window; the sender runs at most one window ahead
  groups: 'latency,throughput', // which parts to run (comma-separated)
};

const GROUPS = ['latency', 'throughput'];
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const sizeLabel = (size) => (size >= 1 << 20 && size % (1 << 20) === 0 ? `${size >> 20} MiB` : size >= 1024 && size % 1024 === 0 ? `${size >> 10} KiB` : `${size} B`);

function casesFor(config) {
  const latency = [
    { id: 'ts-pipe-sync', label: 'multiprocessing-ts `Pipe()`: `send` + `recvSync()` (child: the same)', lang: 'node', params: { mode: 'sync', method: 'spawn' } },
    { id: 'ts-pipe-async', label: 'multiprocessing-ts `Pipe()`: `send` + `await recv()` (child: the same)', lang: 'node', params: { mode: 'async', method: 'spawn' } },
    { id: 'py-pipe', label: 'CPython `mp.Pipe()`: `send` + `recv()` (child: the same)', lang: 'python', params: { method: 'spawn' } },
  ];
  const throughput = [];
  for (const size of config.sizeList) {
    const label = sizeLabel(size);
    const count = Math.max(1, Math.round((config.mebibytes * 2 ** 20) / size));
    const perWindow = Math.max(1, Math.floor((config.windowMiB * 2 ** 20) / size));
    const base = { size, count, perWindow };
    throughput.push(
      { id: `ts-tcp-async-${size}`, size, label: `multiprocessing-ts \`Listener\`/\`Client\`, ${label} messages, \`await recvBytes()\``, lang: 'node', params: { ...base, kind: 'ts', mode: 'async' } },
      { id: `ts-tcp-sync-${size}`, size, label: `multiprocessing-ts \`Listener\`/\`Client\`, ${label} messages, \`recvBytesSync()\``, lang: 'node', params: { ...base, kind: 'ts', mode: 'sync' } },
      { id: `raw-tcp-${size}`, size, label: `raw Node \`net\` sockets, ${label} writes, no framing`, lang: 'node', params: { ...base, kind: 'raw' } },
      { id: `py-tcp-${size}`, size, label: `CPython \`Listener\`/\`Client\`, ${label} messages, \`recv_bytes()\``, lang: 'python', params: base },
    );
  }
  return { latency, throughput };
}

export async function run({ options, log }) {
  const config = { ...DEFAULTS, ...options };
  config.sizeList = String(config.sizes).split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
  const selected = String(config.groups).split(',').map((g) => g.trim());
  const unknown = selected.filter((g) => !GROUPS.includes(g));
  if (unknown.length > 0) throw new Error(`unknown group ${unknown.join(', ')}; groups: ${GROUPS.join(', ')}`);
  const groups = casesFor(config);
  for (const g of GROUPS) if (!selected.includes(g)) groups[g] = [];
  const drivers = {
    node: new Driver('node', process.execPath, [here('./node-driver.mjs')]),
    python: startPythonDriver('python', here('./python_driver.py')),
  };
  const samples = {};
  const all = [...groups.latency, ...groups.throughput];
  for (const c of all) samples[c.id] = [];
  try {
    const measure = {
      latency: async (c) => {
        const r = await drivers[c.lang].call('pingpong', { ...c.params, n: config.trips, warmup: config.warmupTrips }, { timeoutMs: 300_000 });
        samples[c.id].push(r);
      },
      throughput: async (c) => {
        const r = await drivers[c.lang].call('throughput', c.params, { timeoutMs: 300_000 });
        samples[c.id].push({ ...r, mibPerSecond: r.bytes / 2 ** 20 / r.seconds });
      },
    };
    for (let round = 0; round < config.rounds; round++) {
      for (const group of GROUPS) for (const c of rotate(groups[group], round)) await measure[group](c);
      const latest = all.map((c) => {
        const s = samples[c.id].at(-1);
        return `${c.id} ${s.p50 !== undefined ? `p50 ${s.p50.toFixed(1)} µs` : `${s.mibPerSecond.toFixed(0)} MiB/s`}`;
      });
      log(`round ${round + 1}/${config.rounds}: ${latest.join(', ')}`);
    }
  } finally {
    await Promise.allSettled([drivers.node.close(), drivers.python.close()]);
  }
  return report({ config, groups, samples, loadAtEnd: loadavg().map((v) => Number(v.toFixed(2))) });
}

const fmtUs = (us) => (Number.isFinite(us) ? (us >= 100 ? us.toFixed(0) : us.toFixed(1)) : '-');
const fmtRate = (v) => (Number.isFinite(v) ? v.toFixed(0) : '-');
const spread = (s, fmt) => `${fmt(s.median)} (${fmt(s.p10)}–${fmt(s.p90)})`;

function report({ config, groups, samples, loadAtEnd }) {
  const stat = (id, key) => (samples[id]?.length ? summarize(samples[id].map((s) => s[key])) : undefined);
  const median = (id, key) => stat(id, key)?.median ?? NaN;
  // speedup: CPython's time / ours (above 1x = ours faster). share: our rate / the other rate.
  const targets = [];
  const info = [];
  if (groups.latency.length > 0) {
    targets.push(
      { what: 'Pipe round trip p50, `recvSync` vs CPython', ratio: median('py-pipe', 'p50') / median('ts-pipe-sync', 'p50'), goal: 1, goalText: '≥ 1x' },
      { what: 'Pipe round trip p50, `await recv()` vs CPython', ratio: median('py-pipe', 'p50') / median('ts-pipe-async', 'p50'), goal: 1, goalText: '≥ 1x' },
    );
    info.push(
      { what: 'Pipe round trip mean, `recvSync` vs CPython', ratio: median('py-pipe', 'mean') / median('ts-pipe-sync', 'mean') },
      { what: 'Pipe round trip mean, `await recv()` vs CPython', ratio: median('py-pipe', 'mean') / median('ts-pipe-async', 'mean') },
    );
  }
  for (const size of groups.throughput.length > 0 ? config.sizeList : []) {
    const label = sizeLabel(size);
    const rate = (id) => median(id, 'mibPerSecond');
    targets.push({ what: `Listener/Client ${label} messages, \`await recvBytes()\`, share of the raw socket's rate`, ratio: rate(`ts-tcp-async-${size}`) / rate(`raw-tcp-${size}`), goal: 0.8, goalText: '≥ 0.80x' });
    info.push(
      { what: `Listener/Client ${label}, \`recvBytesSync()\`, share of the raw socket's rate`, ratio: rate(`ts-tcp-sync-${size}`) / rate(`raw-tcp-${size}`) },
      { what: `Listener/Client ${label}, \`await recvBytes()\` vs CPython's rate`, ratio: rate(`ts-tcp-async-${size}`) / rate(`py-tcp-${size}`) },
    );
  }
  for (const t of targets) t.met = Number.isFinite(t.ratio) ? t.ratio >= t.goal : null;

  const sections = [];
  sections.push(
    `Method: one long-lived driver per language; ${config.rounds} rounds, each running every case once in an order rotated from ` +
      `round to round; medians across rounds with p10–p90 in parentheses. Children (spawn) are started per sample; only steady ` +
      `work is timed. Load average at the end: ${loadAtEnd.join(' / ')}. Both languages share the machine's two cores with the ` +
      `child they talk to, so these numbers follow the machine's scheduling and wake-up latency: compare rows of the same run only.`,
  );
  sections.push('## Targets (ratios of medians)');
  sections.push(
    targetsTable(
      targets,
      info.filter((r) => Number.isFinite(r.ratio)),
    ),
  );
  sections.push('Latency rows: CPython\'s time / ours (above 1x = multiprocessing-ts faster). Throughput rows: our MiB/s / the other\'s.');

  if (groups.latency.length > 0) {
    sections.push('## Pipe round trip between a parent and one spawn child');
    sections.push(
      `The parent sends \`[i, 'ping']\` and waits for the child to send it back; the child loops \`recv\` → \`send\` until it ` +
        `receives null (CPython: the same with \`recv()\`/\`send()\`). ${config.warmupTrips.toLocaleString('en-US')} untimed round ` +
        `trips, then ${config.trips.toLocaleString('en-US')} each timed alone (CLOCK_MONOTONIC around \`send\` + receive); per sample ` +
        `the p50, p99 and mean of those trips, then medians across samples.`,
    );
    sections.push(
      markdownTable(
        ['case', 'p50 µs', 'mean µs', 'p99 µs', 'n'],
        groups.latency.map((c) => [c.label, spread(stat(c.id, 'p50'), fmtUs), spread(stat(c.id, 'mean'), fmtUs), fmtUs(median(c.id, 'p99')), samples[c.id].length]),
      ),
    );
  }

  if (groups.throughput.length > 0) {
    sections.push('## Listener/Client bytes throughput over loopback TCP');
    sections.push(
      `A spawn child connects to a listener in the measuring process (\`Listener\` with an authkey: the handshake runs before ` +
        `the clock starts) and sends ${config.mebibytes} MiB as messages of one size (\`sendBytes\` of one buffer; CPython ` +
        `\`send_bytes\`; raw: \`socket.write\` of one buffer, unframed). Flow control as a real stream has it, the same in every ` +
        `row: the receiver acknowledges every ${config.windowMiB} MiB with a 1-byte message and the sender runs at most one window ` +
        `ahead of the acknowledgements. Time: from the accepted connection to the last byte received.`,
    );
    sections.push(
      markdownTable(
        ['case', 'MiB/s', 'n'],
        groups.throughput.map((c) => [c.label, spread(stat(c.id, 'mibPerSecond'), fmtRate), samples[c.id].length]),
      ),
    );
  }

  const clean = (list) => list.map((c) => ({ id: c.id, label: c.label, lang: c.lang, params: c.params, samples: samples[c.id] }));
  return {
    markdown: sections.join('\n\n'),
    json: {
      config,
      loadAtEnd,
      units: { latency: 'µs per round trip (p50/p90/p99/mean of one sample)', throughput: 'MiB/s (bytes / 2^20 / seconds)' },
      latency: clean(groups.latency),
      throughput: clean(groups.throughput),
      targets: targets.map(({ what, ratio, goal, goalText, met }) => ({ what, ratio, goal, goalText, met })),
      ratios: info.map(({ what, ratio }) => ({ what, ratio })),
    },
  };
}
