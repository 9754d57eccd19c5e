// Importing the package in a fresh process, the cost every program (and, before this package
// bundled itself, every child) pays: `await import('multiprocessing-ts')` timed inside a new
// `node` process, next to CPython's `import multiprocessing` timed inside a new `python3`.
// Fresh processes, one after another, the two sides interleaved.
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { summarize } from '../../lib/stats.mjs';
import { fmtMs, fmtSpread, markdownTable } from '../../lib/table.mjs';

/** The bound for an import in the main thread, as a case the goal compares against. */
export const IMPORT_LIMIT_MS = 30;

const STAMP = fileURLToPath(new URL('./import-stamp.mjs', import.meta.url));
const PACKAGE = pathToFileURL(fileURLToPath(new URL('../../../dist/index.js', import.meta.url))).href;
const PYTHON = 'import time; t = time.perf_counter(); import multiprocessing, multiprocessing.pool, multiprocessing.connection; print((time.perf_counter() - t) * 1000)';

export async function runImportTime({ config, log, nodeEnv }) {
  const node = () => Number(execFileSync(process.execPath, [STAMP, PACKAGE], { env: nodeEnv, encoding: 'utf8' }).trim());
  const python = () => Number(execFileSync('python3', ['-c', PYTHON], { encoding: 'utf8' }).trim());
  node(); // the first import after a build writes the library's code cache
  const samples = { ts: [], py: [] };
  for (let i = 0; i < config.importRounds; i++) {
    samples.ts.push(node());
    samples.py.push(python());
  }
  log(`import: ${samples.ts.map((ms) => ms.toFixed(1)).join(' ')} ms`);
  const ts = summarize(samples.ts);
  const py = summarize(samples.py);
  const sections = [
    '## Importing the package',
    `${config.importRounds} fresh processes each (after one untimed import that leaves the library's code cache written): ` +
      `\`await import('multiprocessing-ts')\` timed inside \`node\`; CPython: \`import multiprocessing, multiprocessing.pool, ` +
      `multiprocessing.connection\` timed inside \`python3\`. Median (p10–p90), ms.`,
    markdownTable(
      ['import', 'median (p10–p90)'],
      [
        ['`import \'multiprocessing-ts\'` (ESM, Node)', fmtSpread(ts)],
        ['`import multiprocessing` (+ pool, connection), CPython', fmtSpread(py)],
        [`goal: under ${IMPORT_LIMIT_MS} ms`, fmtMs(IMPORT_LIMIT_MS)],
      ],
    ),
  ];
  const limit = summarize([IMPORT_LIMIT_MS]);
  return { summaries: { 'ts-import': { import: ts }, 'py-import': { import: py }, limit: { import: limit } }, sections, json: { ts: samples.ts, py: samples.py } };
}
