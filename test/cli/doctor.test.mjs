// `multiprocessing-ts doctor`: what works here, tried for real, as text or JSON, with an exit code
// that says whether the package is usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { needsAddon } from '../helpers/methods.mjs';
import { runScript } from '../helpers/run-script.mjs';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const TIMEOUT = 120_000;

function okOf(checks) {
  return Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, check.ok]));
}

test('doctor --json: the addon, shared memory and all three start methods work, exit code 0', needsAddon, async () => {
  const result = await runScript(cli, { args: ['doctor', '--json'], timeout: TIMEOUT });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.package.version, version);
  assert.deepEqual(report.node, { version: process.version, abi: process.versions.modules });
  assert.equal(`${report.platform}-${report.arch}`, `${process.platform}-${process.arch}`);
  assert.match(report.libc, /^glibc \d+\.\d+|^musl/);
  assert.equal(report.native.loaded, true, report.native.reason);
  assert.ok(['prebuilt', 'compiled'].includes(report.native.origin));
  assert.equal(report.sharedMemory.ok, true, report.sharedMemory.detail);
  assert.deepEqual(okOf(report.startMethods), { spawn: true, forkserver: true, thread: true });
  assert.equal(report.usable, true);
  assert.deepEqual(Object.keys(report.toolchain).sort(), ['cxx', 'make', 'missing', 'python']);
});

test('doctor prints one line per check for people', needsAddon, async () => {
  const result = await runScript(cli, { args: ['doctor'], timeout: TIMEOUT });
  assert.equal(result.code, 0, result.stderr);
  const text = result.stdout;
  assert.match(text, new RegExp(`^multiprocessing-ts ${version.replace(/\./g, '\\.')} \\(`));
  assert.ok(text.includes(`Node.js        ${process.version} (ABI ${process.versions.modules})`), text);
  assert.match(text, /native addon +ok +(prebuilt|compiled): \S+\.node/);
  assert.match(text, /\/dev\/shm +ok +created and unlinked a 4 KiB block/);
  for (const method of ['spawn', 'forkserver', 'thread']) assert.match(text, new RegExp(`${method} +ok +started and joined a child in \\d+ ms`));
  assert.match(text, /Usable: yes \(start methods that work: spawn, forkserver, thread\)\./);
});

test('MULTIPROCESSING_TS_NATIVE=0: doctor says the addon is off, and exits by what still works', async () => {
  const result = await runScript(cli, { args: ['doctor', '--json'], env: { MULTIPROCESSING_TS_NATIVE: '0' }, timeout: TIMEOUT });
  const report = JSON.parse(result.stdout);
  assert.deepEqual(report.native, { loaded: false, reason: 'the native addon is turned off (MULTIPROCESSING_TS_NATIVE=0)' });
  assert.equal(report.startMethods.spawn.ok, false);
  assert.equal(report.startMethods.forkserver.ok, false);
  assert.equal(report.usable, Object.values(report.startMethods).some((check) => check.ok));
  assert.equal(result.code, report.usable ? 0 : 1);
  assert.equal(result.stderr, '');

  const text = await runScript(cli, { args: ['doctor'], env: { MULTIPROCESSING_TS_NATIVE: '0' }, timeout: TIMEOUT });
  assert.match(text.stdout, /native addon +off +the native addon is turned off \(MULTIPROCESSING_TS_NATIVE=0\)/);
  assert.equal(text.code, result.code);
});

test('the command line: usage, --version, and exit code 2 for what it does not know', async () => {
  const help = await runScript(cli, { args: ['--help'] });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: multiprocessing-ts <command>/);
  assert.match(help.stdout, /\n  doctor +check what works here/);
  assert.match(help.stdout, /\n  build-native +compile the native addon/);
  const bare = await runScript(cli);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^Usage: multiprocessing-ts <command>/);
  const versionRun = await runScript(cli, { args: ['--version'] });
  assert.equal(versionRun.stdout, `${version}\n`);
  const unknown = await runScript(cli, { args: ['frobnicate'] });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^multiprocessing-ts: unknown command 'frobnicate'/);
  const badOption = await runScript(cli, { args: ['doctor', '--yaml'] });
  assert.equal(badOption.code, 2);
  assert.match(badOption.stderr, /^multiprocessing-ts doctor: unknown argument --yaml/);
});
