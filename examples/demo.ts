/**
 * multiprocessing-ts in one screen: the same CPU-bound job (a plain loop counting to N, the busy
 * loop of the Python tutorials) run serially in this process, then split across one Process per
 * CPU. Each worker checks its own count and prints a line when it finishes; the parent prints
 * both times and the speedup.
 *
 *   npm run demo                          # builds, compiles the examples, counts to 5,000,000,000
 *   node out/examples/demo.js 500000000   # a smaller (or larger) N
 *   npx tsx examples/demo.ts              # straight from the TypeScript source
 */
import { Process, cpuCount, currentProcess, getStartMethod, isMain } from 'multiprocessing-ts';

const DEFAULT_N = 5_000_000_000;
const MAX_N = 1_000_000_000_000;
/** Counting goes in chunks this size: a loop counter below 2^31 stays a small integer, fast in V8. */
const CHUNK = 1_000_000_000;
const BAR_WIDTH = 20;

/** The CPU-bound job: count to n, one step at a time. */
export function count(n: number): number {
  let result = 0;
  for (let i = 0; i < n; i++) {
    result += 1;
  }
  return result;
}

const number = (n: number): string => n.toLocaleString('en-US');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** A worker's share of the job: count, check the result, and report in one line. */
export function countShare(n: number): void {
  const started = performance.now();
  let result = 0;
  for (let left = n; left > 0; left -= CHUNK) result += count(Math.min(left, CHUNK));
  if (result !== n) throw new Error(`counted ${number(result)}, expected ${number(n)}`);
  const who = `${currentProcess().name} (pid ${process.pid})`;
  console.log(`  ${who.padEnd(24)} counted ${number(n)} in ${seconds(performance.now() - started)}`);
}

/** Counts to n in this process, drawing a progress bar as it goes; returns the elapsed ms. */
function runSerially(n: number): number {
  process.stdout.write(`${'Serial'.padEnd(10)}[`);
  const started = performance.now();
  let counted = 0;
  for (let step = 1; step <= BAR_WIDTH; step++) {
    const upTo = Math.round((n * step) / BAR_WIDTH);
    counted += count(upTo - Math.round((n * (step - 1)) / BAR_WIDTH));
    process.stdout.write('#');
  }
  const elapsed = performance.now() - started;
  if (counted !== n) throw new Error(`counted ${number(counted)}, expected ${number(n)}`);
  process.stdout.write(`] ${seconds(elapsed)} in 1 process\n`);
  return elapsed;
}

/** Splits n across `workers` processes; returns the elapsed ms (start-up included) and their exit codes. */
async function runInParallel(n: number, workers: number): Promise<{ elapsed: number; exitCodes: (number | null)[] }> {
  console.log(`${'Parallel'.padEnd(10)}starting ${workers} processes (${getStartMethod()})...`);
  const started = performance.now();
  const processes: Process[] = [];
  for (let w = 0; w < workers; w++) {
    const share = Math.floor((n * (w + 1)) / workers) - Math.floor((n * w) / workers);
    const p = new Process({ target: countShare, args: [share] });
    p.start();
    processes.push(p);
  }
  for (const p of processes) await p.join();
  const elapsed = performance.now() - started;
  console.log(`${''.padEnd(10)}all ${workers} finished in ${seconds(elapsed)} (process start-up included)`);
  return { elapsed, exitCodes: processes.map((p) => p.exitCode) };
}

function parseN(arg: string | undefined): number {
  if (arg === undefined) return DEFAULT_N;
  const n = Number(arg.replaceAll('_', '').replaceAll(',', ''));
  if (!Number.isInteger(n) || n < 1 || n > MAX_N) {
    console.error(`usage: demo [N]   (N: a whole number from 1 to ${number(MAX_N)}; default ${number(DEFAULT_N)})`);
    process.exit(2);
  }
  return n;
}

if (isMain(import.meta)) {
  const n = parseN(process.argv[2]);
  const workers = cpuCount();

  console.log('multiprocessing-ts demo: one CPU-bound job, serially and then in parallel');
  console.log(`Job       count to ${number(n)} in a plain loop`);
  console.log(`Machine   ${workers} CPU${workers === 1 ? '' : 's'}, Node.js ${process.version}`);
  console.log('');

  const serial = runSerially(n);
  console.log('');
  const parallel = await runInParallel(n, workers);
  console.log('');

  const failed = parallel.exitCodes.filter((code) => code !== 0).length;
  if (failed > 0) {
    console.log(`${failed} of ${workers} workers failed (exit codes: ${parallel.exitCodes.join(', ')})`);
    process.exitCode = 1;
  } else {
    console.log(`${'Speedup'.padEnd(10)}${(serial / parallel.elapsed).toFixed(2)}x with ${workers} processes on ${workers} CPUs`);
    if (workers === 1) console.log('          (one CPU: nothing to run in parallel; try a machine with more cores)');
  }
}
