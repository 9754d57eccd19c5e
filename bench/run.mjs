#!/usr/bin/env node
// Benchmark harness. `node run.mjs` runs every benchmark; `node run.mjs process-start` runs one
// (several names may be given). Options `--name=value` are passed to the benchmarks (each
// documents its own, e.g. `--rounds=5`); `--list` lists the benchmarks.
//
// A benchmark is a folder benchmarks/<name>/ whose index.mjs exports `title`, `description` and
// `run({ options, env, log })` -> { markdown, json }. Its report (environment header + markdown)
// goes to stdout and to results/<name>.md; the JSON, with the environment, to results/<name>.json.
// Progress goes to stderr.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { environment, environmentMarkdown, finishEnvironment } from './lib/env.mjs';
import { writeResults } from './lib/report.mjs';

const BENCH_DIR = fileURLToPath(new URL('./benchmarks/', import.meta.url));

function available() {
  return readdirSync(BENCH_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(`${BENCH_DIR}${entry.name}/index.mjs`))
    .map((entry) => entry.name)
    .sort();
}

function parseArgs(argv) {
  const names = [];
  const options = {};
  for (const arg of argv) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!match) names.push(arg);
    else options[match[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = match[2] === undefined ? true : coerce(match[2]);
  }
  return { names, options };
}

function coerce(value) {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
}

const { names, options } = parseArgs(process.argv.slice(2));
const all = available();
if (options.list) {
  for (const name of all) {
    const { description } = await import(`${BENCH_DIR}${name}/index.mjs`);
    console.log(`${name}: ${description}`);
  }
  process.exit(0);
}
const unknown = names.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${all.join(', ')}`);
  process.exit(2);
}
if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
  console.error('dist/ is missing: run `npm run build` at the repository root first (or `npm run bench` there).');
  process.exit(2);
}

let failed = false;
for (const name of names.length > 0 ? names : all) {
  const benchmark = await import(`${BENCH_DIR}${name}/index.mjs`);
  const env = environment();
  const log = (message) => process.stderr.write(`[${name}] ${message}\n`);
  log(`starting: ${benchmark.description}`);
  const started = Date.now();
  try {
    const result = await benchmark.run({ options, env, log });
    finishEnvironment(env);
    const markdown = `# ${benchmark.title}\n\n${environmentMarkdown(env)}\n\n${result.markdown.trim()}\n`;
    const files = writeResults(name, {
      markdown,
      json: { benchmark: name, title: benchmark.title, environment: env, options, durationSeconds: (Date.now() - started) / 1000, ...result.json },
    });
    process.stdout.write(`${markdown}\n`);
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote ${files.md} and ${files.json}`);
  } catch (error) {
    failed = true;
    log(`FAILED: ${error?.stack ?? error}`);
  }
}
process.exitCode = failed ? 1 : 0;
