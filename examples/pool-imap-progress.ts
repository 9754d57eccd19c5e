/**
 * A command-line batch job: `gzip -9` every file of a directory on a Pool, one worker per CPU,
 * with a progress bar. Results are printed in the order of the listing as soon as they are ready
 * (`imap`); Ctrl-C stops the job cleanly, leaving only complete .gz files behind.
 *
 *   node out/examples/pool-imap-progress.js [DIR]
 *
 * Each file of DIR is compressed to DIR/<name>.gz. Without DIR, sample log files are written to a
 * temporary directory, which is removed at the end. Results go to stdout, the progress bar to
 * stderr, so `> results.txt` keeps only the results.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Pool, cpuCount, isMain } from 'multiprocessing-ts';

const SAMPLE_FILES = 32;
const SAMPLE_BYTES = 1_000_000;
const BAR_WIDTH = 30;

/** The work for one file, in a worker: read it and compress it. The parent writes the result. */
export function gzipFile(path: string): { bytes: number; gz: Uint8Array } {
  const data = readFileSync(path);
  return { bytes: data.length, gz: gzipSync(data, { level: 9 }) };
}

/**
 * Runs in each worker as it starts. Ctrl-C sends SIGINT to every process of the terminal's
 * foreground group, the workers included; they leave it to the parent, which stops the job.
 * (Were they to die of it, the pool would start new ones and fail their tasks while the parent
 * is stopping.)
 */
export function ignoreInterrupts(): void {
  process.on('SIGINT', () => {});
}

const kb = (bytes: number): string => `${(bytes / 1e3).toFixed(1)} kB`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/**
 * A progress bar on stderr. On a terminal it is one line, redrawn in place. In a file or a pipe
 * (a CI log) carriage returns would pile up into one long line, so it prints a plain line every 10%.
 */
class ProgressBar {
  readonly #tty = process.stderr.isTTY === true;
  readonly #started = performance.now();
  #line = '';
  #printedTenths = 0;

  constructor(readonly total: number) {}

  update(done: number): void {
    const fraction = this.total === 0 ? 1 : done / this.total;
    const elapsed = seconds(performance.now() - this.#started);
    const counts = `${done}/${this.total} files ${Math.floor(fraction * 100)}% ${elapsed}`;
    if (this.#tty) {
      const filled = Math.round(fraction * BAR_WIDTH);
      this.#line = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${counts}`;
      process.stderr.write(`\r${this.#line}\x1b[K`);
    } else if (Math.floor(fraction * 10) > this.#printedTenths || done === this.total) {
      this.#printedTenths = Math.floor(fraction * 10);
      process.stderr.write(`progress: ${counts}\n`);
    }
  }

  /** Prints a line on stdout without tearing the bar: wipe the bar, print, draw it again below. */
  log(line: string): void {
    if (this.#tty && this.#line !== '') process.stderr.write('\r\x1b[K');
    console.log(line);
    if (this.#tty && this.#line !== '') process.stderr.write(this.#line);
  }

  /** Leaves the bar as it is and moves to a fresh line. */
  end(): void {
    if (this.#tty && this.#line !== '') process.stderr.write('\n');
    this.#line = '';
  }
}

/** Compresses `names` in `dir`; resolves with how many were done before the signal (if any) stopped it. */
async function compressAll(dir: string, names: string[], signal: AbortSignal): Promise<number> {
  const bar = new ProgressBar(names.length);
  const pool = new Pool({ processes: cpuCount(), initializer: ignoreInterrupts });
  const started = performance.now();
  let done = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  try {
    bar.update(0);
    // onProgress counts files as workers finish them, in any order; the loop gets the results in
    // input order, each as soon as it and those before it are done.
    const results = pool.imap(gzipFile, names.map((name) => join(dir, name)), { signal, onProgress: (n) => bar.update(n) });
    for await (const { bytes, gz } of results) {
      const name = names[done]!;
      // Written here, whole, by the parent: a worker stopped by Ctrl-C never leaves a torn .gz.
      await writeFile(join(dir, `${name}.gz`), gz);
      done++;
      bytesIn += bytes;
      bytesOut += gz.length;
      const ratio = bytes === 0 ? '-' : `${((100 * gz.length) / bytes).toFixed(1)}%`;
      bar.log(`${name.padEnd(16)} ${kb(bytes).padStart(10)} -> ${kb(gz.length).padStart(10)}  ${ratio}`);
    }
    bar.end();
    console.log(
      `Compressed ${names.length} files, ${mb(bytesIn)} -> ${mb(bytesOut)}, ` +
        `in ${seconds(performance.now() - started)} with ${pool.processes} worker processes`,
    );
  } catch (error) {
    if (!signal.aborted) throw error;
    bar.end();
  } finally {
    // After Ctrl-C the workers may be halfway through a file: stop them now instead of waiting.
    if (signal.aborted) {
      await pool.terminate();
    } else {
      pool.close();
      await pool.join();
    }
  }
  return done;
}

/** Log-like text: a deterministic pseudo-random stream of request lines, which compresses as real logs do. */
function sampleLog(bytes: number, seed: number): string {
  let state = seed;
  const pick = <T>(choices: readonly T[]): T => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return choices[state % choices.length]!;
  };
  const lines: string[] = [];
  let time = Date.UTC(2024, 4, 1) + seed * 86_400_000;
  for (let size = 0; size < bytes; size += lines.at(-1)!.length) {
    time += pick([3, 17, 250, 1200]);
    const path = `${pick(['/', '/api/items', '/api/users', '/login', '/static/app.js'])}/${pick([1, 42, 77, 1234, 9001])}`;
    lines.push(
      `${new Date(time).toISOString()} ${pick(['INFO ', 'INFO ', 'WARN ', 'ERROR'])} ${pick(['GET', 'POST'])} ${path} ` +
        `status=${pick([200, 200, 201, 404, 500])} ms=${pick([3, 12, 48, 230, 870])} req=${state.toString(16)}\n`,
    );
  }
  return lines.join('');
}

if (isMain(import.meta)) {
  const given = process.argv[2];
  if (given !== undefined && !statSync(given, { throwIfNoEntry: false })?.isDirectory()) {
    if (!given.startsWith('-')) console.error(`pool-imap-progress: ${given} is not a directory`);
    console.error('usage: pool-imap-progress [DIR]   (gzip -9 every file of DIR; no DIR: sample files)');
    process.exit(2);
  }
  const dir = given ?? mkdtempSync(join(tmpdir(), 'pool-imap-progress-'));
  // A first Ctrl-C asks the job to stop; `once`, so a second one ends the process at once, as usual.
  const interrupted = new AbortController();
  process.once('SIGINT', () => interrupted.abort());
  try {
    if (given === undefined) {
      console.log(`Writing ${SAMPLE_FILES} sample log files of ${mb(SAMPLE_BYTES)} to ${dir}`);
      for (let i = 1; i <= SAMPLE_FILES; i++) writeFileSync(join(dir, `app-${String(i).padStart(2, '0')}.log`), sampleLog(SAMPLE_BYTES, i));
    }
    const names = readdirSync(dir)
      .filter((name) => !name.endsWith('.gz') && statSync(join(dir, name)).isFile())
      .sort();
    const done = await compressAll(dir, names, interrupted.signal);
    if (interrupted.signal.aborted) {
      console.error(`Interrupted: ${done} of ${names.length} files compressed; every .gz written is complete.`);
      process.exitCode = 130; // 128 + SIGINT, what a shell reports for a job stopped by Ctrl-C
    }
  } finally {
    if (given === undefined) rmSync(dir, { recursive: true, force: true });
  }
}
