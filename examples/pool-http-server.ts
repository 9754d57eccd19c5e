/**
 * An HTTP server that hands CPU-bound work to a Pool. A Node server answers every request on one
 * thread: a few seconds of computation there, and no other request is answered until it is done.
 * On the pool, the computation runs in other processes and the event loop stays free.
 *
 *   node out/examples/pool-http-server.js [PORT]          # serve until Ctrl-C, SIGTERM or POST /shutdown
 *   node out/examples/pool-http-server.js --measure [N]   # serve, load it, print what the pool changes, stop
 *
 *   GET  /compute?n=N          the number of primes below N, counted on the pool
 *   GET  /compute?n=N&on=main  the same work on the server's own thread, to compare
 *   GET  /health               answers at once, as a load balancer's probe expects
 *   POST /shutdown             stops as SIGTERM does: in-flight requests finish, then the pool closes
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, Process, cpuCount, isMain } from 'multiprocessing-ts';

const DEFAULT_PORT = 3000;
const MEASURE_N = 10_000_000;
const MAX_N = 1_000_000_000;
/** --measure sends /health this often (ms): a steady probe, not a flood that would take a CPU itself. */
const PROBE_EVERY = 10;

/** The CPU-bound job: count the primes in [from, to) by trial division. Runs in a pool worker. */
export function countPrimes([from, to]: [number, number]): number {
  let count = 0;
  for (let k = Math.max(from, 2); k < to; k++) {
    let prime = true;
    for (let d = 2; d * d <= k; d++) {
      if (k % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/**
 * Runs in each worker as it starts. Ctrl-C in a terminal sends SIGINT to every process of the
 * foreground group, the workers included: they leave it to the server, which lets them finish
 * what they hold before it closes the pool.
 */
export function ignoreInterrupts(): void {
  process.on('SIGINT', () => {});
}

/** Splits [0, n) into `parts` ranges. Higher numbers cost more to test, so many small ranges keep every worker busy to the end. */
function ranges(n: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, i) => [Math.floor((n * i) / parts), Math.floor((n * (i + 1)) / parts)]);
}

const sum = (counts: number[]): number => counts.reduce((a, b) => a + b, 0);

function reply(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

async function compute(pool: Pool, url: URL, response: ServerResponse): Promise<void> {
  const n = Number(url.searchParams.get('n'));
  const on = url.searchParams.get('on') ?? 'pool';
  if (!Number.isInteger(n) || n < 2 || n > MAX_N) {
    return reply(response, 400, { error: `n must be a whole number from 2 to ${MAX_N}, as in /compute?n=1000000` });
  }
  if (on !== 'pool' && on !== 'main') return reply(response, 400, { error: "on must be 'pool' or 'main'" });
  const started = performance.now();
  const parts = ranges(n, pool.processes * 8);
  // The same function either way: awaited on the pool, the event loop serves other requests
  // meanwhile; called here, it holds the thread until the last range is counted.
  const primes = on === 'pool' ? sum(await pool.map(countPrimes, parts)) : sum(parts.map(countPrimes));
  reply(response, 200, { n, on, primes, ms: Math.round(performance.now() - started) });
}

/**
 * What asks the server to stop: SIGTERM (a process manager, `kill`), SIGINT (Ctrl-C) or `stop(why)`.
 * The handlers go once used, so a second Ctrl-C ends the process at once, as users expect.
 */
function stopRequest(): { stopping: Promise<string>; stop: (why: string) => void } {
  let stop!: (why: string) => void;
  const stopping = new Promise<string>((resolve) => (stop = resolve));
  const onSignal = (signal: NodeJS.Signals): void => stop(signal);
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  void stopping.then(() => process.off('SIGTERM', onSignal).off('SIGINT', onSignal));
  return { stopping, stop };
}

function routes(pool: Pool, stop: (why: string) => void) {
  let computing = 0;
  return (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    // `computing`: the /compute requests being worked on right now, which /health can report
    // only because it is answered while they run.
    if (url.pathname === '/health') return reply(response, 200, { status: 'ok', computing });
    if (url.pathname === '/compute') {
      computing++;
      compute(pool, url, response)
        .catch((error: Error) => reply(response, 500, { error: error.message }))
        .finally(() => computing--);
      return;
    }
    if (url.pathname === '/shutdown' && request.method === 'POST') {
      reply(response, 202, { status: 'shutting down' });
      return stop('POST /shutdown');
    }
    reply(response, 404, { error: 'try /compute?n=1000000 or /health' });
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject); // EADDRINUSE and the like
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

const ms = (value: number): string => `${value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 1 : 0 })} ms`;

const plural = (count: number, word: string, suffix = 's'): string => `${count} ${word}${count === 1 ? '' : suffix}`;

/**
 * The load for --measure: a /compute request and, until it is answered, a /health request every
 * PROBE_EVERY ms (or as soon as the previous one is done, if that takes longer). It runs in a
 * child process so that its clock and its requests keep going while the server's thread is blocked.
 */
export async function measure(base: string, n: number): Promise<void> {
  console.log(`Counting the primes below ${n.toLocaleString('en-US')}, with /health requested every ${PROBE_EVERY} ms meanwhile:`);
  for (const on of ['pool', 'main'] as const) {
    let answered = false;
    const computing = fetch(`${base}/compute?n=${n}&on=${on}`)
      .then((response) => response.json() as Promise<{ primes: number; ms: number }>)
      .finally(() => (answered = true));
    const waited: number[] = [];
    const failures: string[] = [];
    while (!answered) {
      const sent = performance.now();
      try {
        await (await fetch(`${base}/health`)).text();
      } catch (error) {
        // A blocked server can even drop a request: an idle keep-alive connection times out
        // (server.keepAliveTimeout, 5 s) in the same turn the request waiting on it would be read.
        failures.push(((error as Error).cause as { code?: string } | undefined)?.code ?? (error as Error).message);
      }
      waited.push(performance.now() - sent);
      await sleep(Math.max(0, PROBE_EVERY - (performance.now() - sent)));
    }
    const { primes, ms: took } = await computing;
    waited.sort((a, b) => a - b);
    const p50 = waited[Math.floor(waited.length / 2)] ?? NaN;
    const max = waited.at(-1) ?? NaN;
    const failed = failures.length === 0 ? 'none failed' : `${failures.length} failed (${[...new Set(failures)].join(', ')})`;
    const where = on === 'pool' ? 'on the pool' : 'on the main thread';
    console.log(
      `  ${where.padEnd(18)} ${primes.toLocaleString('en-US')} primes in ${ms(took)}; ` +
        `/health requests: ${waited.length}, ${failed}, p50 ${ms(p50)}, max ${ms(max)}`,
    );
  }
}

if (isMain(import.meta)) {
  const measuring = process.argv[2] === '--measure';
  const port = measuring ? 0 : Number(process.argv[2] ?? DEFAULT_PORT);
  const measureN = Number(measuring ? (process.argv[3] ?? MEASURE_N) : MEASURE_N);
  const valid = (value: number, min: number, max: number): boolean => Number.isInteger(value) && value >= min && value <= max;
  if (!valid(port, 0, 65535) || !valid(measureN, 2, MAX_N)) {
    console.error(`usage: pool-http-server [PORT]  or  pool-http-server --measure [N]   (default port ${DEFAULT_PORT}, N ${MEASURE_N})`);
    process.exit(2);
  }
  // One CPU is left to the event loop (and the OS): the workers take the others.
  const pool = new Pool({ processes: Math.max(1, cpuCount() - 1), initializer: ignoreInterrupts });
  const { stopping, stop } = stopRequest();
  const server = createServer(routes(pool, stop));
  try {
    const base = `http://127.0.0.1:${await listen(server, port)}`;
    console.log(`Listening on ${base} (pid ${process.pid})`);
    const workers = pool.workers.map((worker) => `pid ${worker.pid}`).join(', ');
    console.log(`Pool of ${plural(pool.processes, 'worker process', 'es')}: ${workers}`);
    if (measuring) {
      const load = new Process({ target: measure, args: [base, measureN] });
      load.start();
      await load.join();
      if (load.exitCode !== 0) process.exitCode = 1;
      stop('measured');
    }
    console.log(`Stopping (${await stopping}): no new connections, answering the requests in flight`);
    // close() refuses new connections and ends idle keep-alive ones; its callback runs once the
    // requests still running have been answered.
    await new Promise((resolve) => server.close(resolve));
  } finally {
    // Lets the workers finish what they hold and exit: nothing is left running behind the server.
    pool.close();
    await pool.join();
  }
  console.log('Stopped: the pool is closed and its workers have exited');
}
