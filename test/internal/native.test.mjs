// How the native addon is found (node-gyp-build: a local build, else the prebuilt binary for this
// platform, architecture, ABI and libc) and what is said when none loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_COMMAND, NATIVE_DIR, nativeStatus } from '../../dist/internal/native.js';
import { needsAddon } from '../helpers/methods.mjs';
import { runScript } from '../helpers/run-script.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

const fixture = fileURLToPath(new URL('../fixtures/internal/native-status.mjs', import.meta.url));

async function statusWith(env) {
  const result = await runScript(fixture, { env });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

test('the addon loads from the package, and says whether it is the prebuilt or a local build', needsAddon, () => {
  const status = nativeStatus();
  assert.equal(status.available, true, status.reason);
  assert.ok(status.path.startsWith(NATIVE_DIR + sep), status.path);
  const expected = status.path.startsWith(`${NATIVE_DIR}${sep}prebuilds${sep}`) ? 'prebuilt' : 'compiled';
  assert.equal(status.origin, expected);
  if (expected === 'prebuilt') assert.match(status.path, new RegExp(`linux-${process.arch}\\${sep}node\\.abi${process.versions.modules}\\.glibc\\.node$`));
});

test('with no binary for this machine, the package still imports, and the reason names the target and the fix', needsAddon, async () => {
  // node-gyp-build takes the architecture from npm_config_arch: one with no prebuilt binaries,
  // and prebuilt binaries only (a local build would be found first).
  const status = await statusWith({ npm_config_arch: 'riscv64', PREBUILDS_ONLY: '1' });
  assert.equal(status.available, false);
  assert.equal(status.hasCause, true);
  assert.match(status.reason, /no prebuilt native addon for linux-/);
  assert.ok(status.reason.includes(`Node ${process.versions.node} (ABI ${process.versions.modules})`), status.reason);
  assert.match(status.reason, /glibc \d+\.\d+|musl/);
  assert.ok(status.reason.includes(`Run \`${BUILD_COMMAND}\``), status.reason);
  assert.equal(status.thrown, `multiprocessing-ts: ${status.reason}`);
});

test('MULTIPROCESSING_TS_NATIVE=0 turns the addon off, and native() says so', async () => {
  const status = await statusWith({ MULTIPROCESSING_TS_NATIVE: '0' });
  assert.equal(status.available, false);
  assert.equal(status.reason, 'the native addon is turned off (MULTIPROCESSING_TS_NATIVE=0)');
  assert.equal(status.thrown, `multiprocessing-ts: ${status.reason}`);
});

test(
  'a local build for another Node ABI is reported with both fixes: compile again, or remove it',
  { skip: needsAddon.skip || (process.platform === 'linux' && process.arch === 'x64' ? false : 'uses the x64 prebuilt binaries') },
  async () => {
    // A copy of the package whose native/build holds a binary of another ABI, as after a Node upgrade.
    const copy = mkdtempSync(join(tmpdir(), 'mp-native-'));
    try {
      cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true });
      cpSync(join(root, 'package.json'), join(copy, 'package.json'));
      symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
      const other = readdirSync(join(NATIVE_DIR, 'prebuilds', 'linux-x64')).find((name) => !name.includes(`.abi${process.versions.modules}.`));
      mkdirSync(join(copy, 'native', 'build', 'Release'), { recursive: true });
      cpSync(join(NATIVE_DIR, 'prebuilds', 'linux-x64', other), join(copy, 'native', 'build', 'Release', 'mp_native.node'));
      const result = await runScript(join(copy, 'dist', 'cli', 'main.js'), { args: ['doctor', '--json'], timeout: 60_000 });
      const report = JSON.parse(result.stdout);
      assert.equal(report.native.loaded, false);
      const compiled = join(copy, 'native', 'build', 'Release', 'mp_native.node');
      assert.ok(report.native.reason.startsWith(`the compiled native addon ${compiled} does not load on linux-`), report.native.reason);
      assert.match(report.native.reason, /NODE_MODULE_VERSION \d+\. This version of Node\.js requires NODE_MODULE_VERSION/);
      assert.ok(report.native.reason.endsWith(`Run \`${BUILD_COMMAND}\` to compile one for this machine (needs python3, make and a C++ compiler), or delete ${join(copy, 'native', 'build')} to use the prebuilt one.`), report.native.reason);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  },
);

test("a child loads the binary its parent found, and searches as usual when that one does not load", needsAddon, async () => {
  const fixture = fileURLToPath(new URL('../fixtures/internal/addon-from-parent.mjs', import.meta.url));
  const { path } = nativeStatus();
  const told = await runScript(fixture, { args: [path] });
  assert.equal(told.code, 0, told.stderr);
  assert.equal(JSON.parse(told.stdout).path, path);
  const wrong = await runScript(fixture, { args: [join(tmpdir(), 'no-such-addon.node')] });
  assert.equal(wrong.code, 0, wrong.stderr);
  const status = JSON.parse(wrong.stdout);
  assert.equal(status.available, true);
  assert.equal(status.path, path);
});

test('errno translation: names, matching, and Node-style system errors from the addon', async () => {
  const { errnoName, hasErrno, systemError } = await import('../../dist/internal/native.js');
  const { constants } = await import('node:os');
  assert.equal(errnoName(constants.errno.EADDRINUSE), 'EADDRINUSE');
  assert.equal(errnoName(9999), 'E9999');
  const failure = Object.assign(new Error('bind: Address already in use'), { errno: constants.errno.EADDRINUSE, syscall: 'bind' });
  assert.equal(hasErrno(failure, 'EADDRINUSE'), true);
  assert.equal(hasErrno(failure, 'ENOENT'), false);
  assert.equal(hasErrno(new Error('no errno'), 'ENOENT'), false);
  assert.equal(hasErrno(null, 'ENOENT'), false);
  const error = systemError(failure, 'bind', '"/tmp/x"');
  assert.equal(error.message, 'bind EADDRINUSE "/tmp/x": Address already in use');
  assert.equal(error.code, 'EADDRINUSE');
  assert.equal(error.errno, -constants.errno.EADDRINUSE);
  assert.equal(error.syscall, 'bind');
  const plain = new TypeError('not a system failure');
  assert.equal(systemError(plain, 'bind', 'x'), plain, 'an error without an errno passes through');
});
