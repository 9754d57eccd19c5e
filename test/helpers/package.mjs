// Helpers for the tests of the package as users install it: `npm pack` into a temporary folder,
// fresh projects holding the programs of test/fixtures/package/app, and the environment a user's
// npm would see (PATH as given, none of the outer `npm test`'s variables).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from './run-script.mjs';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'test', 'fixtures', 'package', 'app');

/** npm's CLI script, run as `node npmCli ...`: the npm running the tests, else the one beside node. */
export const npmCli =
  process.env.npm_execpath && basename(process.env.npm_execpath) === 'npm-cli.js'
    ? process.env.npm_execpath
    : join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

/** What the ESM fixture program prints when everything works. */
export const ESM_RESULT = { spawned: [1, 4, 9, 16], threaded: [25, 36], locked: true, item: 'from a child', exitCode: 0 };

// A user's npm in a fresh project sees none of the outer npm's settings, except where its cache
// and registry are.
const KEPT_NPM_VARIABLES = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_registry']);

/** This environment with PATH replaced, the outer npm's variables and node:test's marker dropped. */
export function environment(path = process.env.PATH ?? '') {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !KEPT_NPM_VARIABLES.has(key.toLowerCase())) continue;
    if (key === 'NODE_TEST_CONTEXT' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  env.PATH = path;
  env.npm_config_update_notifier = 'false';
  return env;
}

/** Whether `name` is in one of PATH's directories. */
export function onPath(name, path = process.env.PATH ?? '') {
  return path.split(':').some((dir) => dir !== '' && existsSync(join(dir, name)));
}

/** Runs a command (no shell); fails the test with its output if it exits non-zero. */
export async function ok(command, args, options) {
  const result = await runCommand(command, args, { timeout: 120_000, ...options });
  assert.equal(
    result.code,
    0,
    `${basename(command)} ${args.join(' ')} exited with ${result.code ?? result.signal}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
  );
  return result;
}

/** The last line a program printed, parsed as JSON. */
export function lastJsonLine(stdout) {
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

/** Seconds since `started` (a performance.now()), for diagnostics. */
export function seconds(started) {
  return `${((performance.now() - started) / 1000).toFixed(1)} s`;
}

/**
 * A temporary folder holding `npm pack`'s tarball of this repository (dist must be built: `npm
 * test` builds it first) and a bin/ holding only a `node` symlink, to be a PATH without compilers.
 */
export async function packed() {
  const work = mkdtempSync(join(tmpdir(), 'mp-package-'));
  const result = await ok(process.execPath, [npmCli, 'pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: root,
    env: environment(),
  });
  const [info] = JSON.parse(result.stdout);
  const bin = join(work, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  return {
    work,
    tarball: join(work, info.filename),
    files: info.files.map((file) => file.path),
    /** A PATH on which there is node and nothing else: no make, compiler, python or shell. */
    nodeOnlyPath: bin,
    /** A fresh project (`"type": "module"`) holding the fixture programs; `extra` merges into its package.json. */
    project(name, extra = {}) {
      const dir = join(work, name);
      mkdirSync(dir);
      cpSync(fixtures, dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module', ...extra }, null, 2));
      return dir;
    },
    /** npm install of the tarball into a fresh project, with only node on PATH. */
    async npmInstall(name) {
      const dir = this.project(name);
      await ok(process.execPath, [npmCli, 'install', this.tarball, '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: dir,
        env: environment(bin),
      });
      return dir;
    },
    remove() {
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** The version of a dependency installed in this repository. */
export function installedVersion(name) {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}
