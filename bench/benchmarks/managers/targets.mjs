// What the managers benchmark's children run, and the type its remote server serves. A child
// imports this module to find its target, so it holds nothing but targets (no side effects).

const LIMIT_MS = 60_000;
const now = () => process.hrtime.bigint();

/** The median of a list of numbers. */
export function p50(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = (sorted.length - 1) / 2;
  return (sorted[Math.floor(mid)] + sorted[Math.ceil(mid)]) / 2;
}

/** Each call of `call(i)` awaited alone, `n` times: the median time of one, in µs. */
export async function callP50(n, call) {
  const lat = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = now();
    await call(i);
    lat[i] = Number(now() - t) / 1000;
  }
  return p50(lat);
}

/** Calls a child makes before its 'settled' dict get p50. */
const SETTLE_CALLS = 4000;

/** From a child: dict get and list append p50 (µs), after a warm-up, and dict get p50 again after SETTLE_CALLS more; the result goes to `out`. */
export async function childCallLatency(dict, list, n, out) {
  await callP50(200, () => dict.get('k'));
  const dictGetUs = await callP50(n, () => dict.get('k'));
  const appendUs = await callP50(n, (i) => list.append(i));
  // Once the start's aftermath is over (a forkserver boots the next spare meanwhile, on 2 CPUs).
  await callP50(SETTLE_CALLS, () => dict.get('k'));
  const settledDictGetUs = await callP50(n, () => dict.get('k'));
  await out.set('result', { dictGetUs, appendUs, settledDictGetUs });
}

/** Appends -1 (its connection is made before the clock), waits for `go`, then appends 0..n-1. */
export async function appender(list, n, go, batch) {
  await list.append(-1);
  await go.wait({ timeout: LIMIT_MS });
  if (batch <= 1) {
    for (let i = 0; i < n; i++) await list.append(i);
    return;
  }
  for (let i = 0; i < n; i += batch) {
    const calls = [];
    for (let j = i; j < Math.min(n, i + batch); j++) calls.push(list.append(j));
    await Promise.all(calls);
  }
}

/** Says it is ready on `ready`, waits for `go`, then adds 1 to `value` `n` times under `lock`. */
export async function incrementer(lock, value, n, ready, go) {
  await value.get();
  await ready.append(1);
  await go.wait({ timeout: LIMIT_MS });
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    try {
      await value.set((await value.get()) + 1);
    } finally {
      await lock.release();
    }
  }
}

/** Puts 'ready', waits for `go`, then puts 0..n-1 and null, each awaited. */
export async function producer(q, n, go) {
  await q.put('ready');
  await go.wait({ timeout: LIMIT_MS });
  for (let i = 0; i < n; i++) await q.put(i);
  await q.put(null);
}

/** The remote server's type (CPython's MathClass). */
export class MathClass {
  add(x, y) {
    return x + y;
  }

  mul(x, y) {
    return x * y;
  }
}
