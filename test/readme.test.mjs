// The README is the front door: its runnable examples run (the TypeScript one compiled with the
// tsconfig it shows, the plain JavaScript ones on this Node, where `await using` would be a
// SyntaxError on 20 and 22), its links lead to files that exist, and the commands it names exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, runScript } from './helpers/run-script.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Fenced blocks as { lang, code }. */
function blocks() {
  return [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], code: m[2] }));
}

/** The blocks whose first line names their file (`// main.ts`), by that name. */
function namedBlocks() {
  const named = new Map();
  for (const { code } of blocks()) {
    const name = /^\/\/ ([\w.-]+\.(?:ts|mjs|cjs|json))\n/.exec(code)?.[1];
    if (name) named.set(name, code);
  }
  return named;
}

/** A fresh project whose node_modules holds this package (as installed) and @types/node. */
function project() {
  const dir = mkdtempSync(join(tmpdir(), 'mp-readme-'));
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'multiprocessing-ts'), 'dir');
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  return dir;
}

test('the README names no file that is missing and no script package.json lacks', () => {
  assert.doesNotMatch(readme, /API\.md/, 'API.md is not part of the package');
  const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((target) => !/^[a-z]+:/.test(target));
  assert.ok(links.length > 5);
  for (const target of links) assert.ok(existsSync(join(root, target)), `README links to ${target}, which does not exist`);
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const [, script] of readme.matchAll(/npm run ([\w:-]+)/g)) assert.ok(scripts[script], `README says npm run ${script}`);
  for (const [, file] of readme.matchAll(/`(examples\/[\w.-]+\.ts)`/g)) assert.ok(existsSync(join(root, file)), file);
});

test('the plain JavaScript quick start runs as ESM and as CommonJS on this Node', async () => {
  const named = namedBlocks();
  const dir = project();
  try {
    for (const file of ['main.mjs', 'main.cjs']) {
      assert.ok(named.has(file), `README has no ${file} block`);
      assert.doesNotMatch(named.get(file), /\busing\b/, 'plain JavaScript on Node 20 has no `using`');
      writeFileSync(join(dir, file), named.get(file));
      const { code, stdout, stderr } = await runScript(join(dir, file), { cwd: dir, timeout: 60_000 });
      assert.equal(code, 0, stderr);
      assert.equal(stdout.trim(), '[ 1, 4, 9 ]', file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the TypeScript quick start compiles with the tsconfig the README shows (strict) and runs', async () => {
  const named = namedBlocks();
  const dir = project();
  try {
    const tsconfig = JSON.parse(named.get('tsconfig.json').replace(/^\/\/.*$/gm, '').replace(/\s\/\/.*$/gm, ''));
    tsconfig.compilerOptions.outDir = 'out';
    tsconfig.files = ['main.ts'];
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    writeFileSync(join(dir, 'main.ts'), named.get('main.ts'));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const compiled = await runCommand(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 120_000 });
    assert.equal(compiled.code, 0, compiled.stdout + compiled.stderr);
    const { code, stdout, stderr } = await runScript(join(dir, 'out', 'main.js'), { cwd: dir, timeout: 60_000 });
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), '[ 1, 4, 9 ]');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the README says how to install without a compiler and what to do without a prebuilt binary', () => {
  for (const needle of ['## Install', 'npx multiprocessing-ts doctor', 'npx multiprocessing-ts build-native', '## Testing your own code', '## Troubleshooting', '## Scale out']) {
    assert.ok(readme.includes(needle), needle);
  }
});
