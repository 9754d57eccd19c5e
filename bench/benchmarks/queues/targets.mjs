// What the queue benchmark's consumer children run. A child imports this module to find its target,
// so it holds nothing but targets (importing it has no side effects).

const now = () => Number(process.hrtime.bigint());

/** Generous bound on every wait: a lost producer ends the run with an error, not a hang. */
const LIMIT_MS = 60_000;

/** What the consumer adds up per item, so the parent can check every item arrived intact. */
export function weigh(item) {
  if (typeof item === 'number') return item;
  if (typeof item === 'string') return item.length;
  if (item instanceof Uint8Array) return item.byteLength + item[0] + item[item.byteLength - 1];
  throw new Error(`unexpected item ${typeof item}`);
}

/** CPU time this process has used (user + system, all threads), in ms. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Takes `n` items with `await q.get()`: says it is ready (ready[0] = 1) before its first get, then
 * stamps CLOCK_MONOTONIC (ns) after the last one into stamps[0], the items' total weight into
 * stamps[1], and the CPU time (ms) it used from its first get to its last into stamps[2].
 */
export async function consumeAsync(q, n, ready, stamps) {
  const cpu0 = cpuMs();
  Atomics.store(ready, 0, 1);
  let total = 0;
  for (let i = 0; i < n; i++) total += weigh(await q.get({ timeout: LIMIT_MS }));
  stamps[0] = now();
  stamps[1] = total;
  stamps[2] = cpuMs() - cpu0;
}

/** The same with `q.getSync()`. */
export function consumeSync(q, n, ready, stamps) {
  const cpu0 = cpuMs();
  Atomics.store(ready, 0, 1);
  let total = 0;
  for (let i = 0; i < n; i++) total += weigh(q.getSync({ timeout: LIMIT_MS }));
  stamps[0] = now();
  stamps[1] = total;
  stamps[2] = cpuMs() - cpu0;
}
