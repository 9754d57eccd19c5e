// Writes a benchmark's results: bench/results/<name>.md for people, <name>.json for tools.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export function writeResults(name, { markdown, json }) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const md = `${RESULTS_DIR}${name}.md`;
  const js = `${RESULTS_DIR}${name}.json`;
  writeFileSync(md, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  writeFileSync(js, `${JSON.stringify(json, null, 2)}\n`);
  return { md, json: js };
}
