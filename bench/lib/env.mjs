// What a result was measured on: printed at the head of every report.
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { pythonExecutable, pythonVersion } from './python.mjs';

function gitCommit(cwd) {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${commit} (src/ modified)` : commit;
  } catch {
    return null;
  }
}

export function environment() {
  const root = new URL('../..', import.meta.url).pathname;
  return {
    date: new Date().toISOString(),
    node: process.version,
    python: pythonVersion(),
    pythonExecutable: pythonExecutable(),
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    loadAverage: loadavg().map((v) => Number(v.toFixed(2))),
    commit: gitCommit(root),
    command: ['node', ...process.argv.slice(1).map((arg, i) => (i === 0 ? 'run.mjs' : arg))].join(' '),
  };
}

/** Records the load average once the benchmark is done: with the one at start, how busy the machine was. */
export function finishEnvironment(env) {
  env.loadAverageEnd = loadavg().map((v) => Number(v.toFixed(2)));
  return env;
}

/** The environment as markdown lines for a report's header. */
export function environmentMarkdown(env) {
  const loadEnd = env.loadAverageEnd ? `, at end ${env.loadAverageEnd.join(' / ')}` : '';
  return [
    `- Date: ${env.date}`,
    `- Node ${env.node}, Python ${env.python ?? 'not found'} (\`${env.pythonExecutable}\`)`,
    `- Machine: ${env.cores} cores (${env.cpu}), ${env.memoryGiB} GiB, Linux ${env.kernel}; load average (1 / 5 / 15 min) at start ${env.loadAverage.join(' / ')}${loadEnd}`,
    `- multiprocessing-ts commit: ${env.commit ?? 'unknown'}`,
    `- Command: \`cd bench && ${env.command}\` (or \`npm run bench\` at the root for every benchmark)`,
  ].join('\n');
}
