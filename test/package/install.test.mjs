// The package as users get it: `npm pack`, installed into fresh projects with no compiler on PATH
// (by npm, and by pnpm), then used by ESM, CommonJS and TypeScript programs. Nothing here may
// compile the addon: installing runs no script at all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needsAddon } from '../helpers/methods.mjs';
import { runCommand } from '../helpers/run-script.mjs';
import { ESM_RESULT, environment, installedVersion, lastJsonLine, npmCli, ok, onPath, packed, root, seconds } from '../helpers/package.mjs';

const pnpmCli = join(root, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

let pack;

before(async () => {
  pack = await packed();
});

after(() => pack?.remove());

test('the tarball holds the compiled code, the CLI, the native sources and prebuilt binaries, and no install script', () => {
  for (const file of [
    'package.json',
    'LICENSE',
    'README.md',
    'CHANGELOG.md',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/cli/main.js',
    'native/binding.gyp',
    'native/addon.cc',
    'native/addon.h',
    'native/prebuilds/manifest.json',
    `native/prebuilds/linux-x64/node.abi${process.versions.modules}.glibc.node`,
  ]) {
    assert.ok(pack.files.includes(file), `${file} is missing from the tarball`);
  }
  assert.ok(pack.files.some((file) => file.startsWith('native/prebuilds/linux-arm64/')), 'no arm64 prebuilds');
  const stray = pack.files.filter(
    (file) => /^(src|test|scripts|bench|examples)\//.test(file) || file.startsWith('native/build/') || file === 'binding.gyp',
  );
  assert.deepEqual(stray, []);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const script of ['preinstall', 'install', 'postinstall']) assert.equal(manifest.scripts?.[script], undefined, `a ${script} script`);
  assert.equal(manifest.os, undefined, '"os" keeps the package off other platforms');
  assert.equal(manifest.gypfile, undefined);
  assert.match(manifest.repository?.url ?? '', /github\.com/, 'repository');
  assert.ok(manifest.keywords?.includes('multiprocessing'), 'keywords');
  assert.equal(manifest.license, 'MIT');
  assert.deepEqual(manifest.bin, { 'multiprocessing-ts': 'dist/cli/main.js' });
});

describe('npm, with only node on PATH', () => {
  let app;

  test('installs the tarball, and an ESM program runs (timed)', async (t) => {
    for (const tool of ['make', 'cc', 'gcc', 'g++', 'c++', 'clang++', 'python3', 'sh']) {
      assert.equal(onPath(tool, pack.nodeOnlyPath), false, `${tool} is on the PATH given to npm`);
    }
    const started = performance.now();
    app = await pack.npmInstall('npm-app');
    const installed = seconds(started);
    const result = await ok(process.execPath, ['esm.mjs'], { cwd: app, env: environment(pack.nodeOnlyPath) });
    assert.deepEqual(lastJsonLine(result.stdout), ESM_RESULT);
    assert.equal(existsSync(join(app, 'node_modules', 'multiprocessing-ts', 'native', 'build')), false, 'something compiled the addon');
    t.diagnostic(`npm install: ${installed}; with the first program: ${seconds(started)} (goal: under 10 s)`);
  });

  test('a CommonJS program require()s the package', async () => {
    const result = await ok(process.execPath, ['cjs.cjs'], { cwd: app, env: environment(pack.nodeOnlyPath) });
    assert.deepEqual(lastJsonLine(result.stdout), { cubes: [1, 8, 27], locked: true });
  });

  test("a TypeScript program compiles in strict mode against the package's types, and runs", async () => {
    const config = JSON.parse(readFileSync(join(app, 'tsconfig.json'), 'utf8'));
    config.compilerOptions.typeRoots = [join(root, 'node_modules', '@types')];
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(config));
    const env = environment(pack.nodeOnlyPath);
    await ok(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, env });
    const result = await ok(process.execPath, [join('out', 'main.js')], { cwd: app, env });
    assert.deepEqual(lastJsonLine(result.stdout), { doubled: [2, 4, 6], item: 'typed' });
  });

  test('a stack trace through the package shows its TypeScript (node --enable-source-maps)', async () => {
    const result = await runCommand(process.execPath, ['--enable-source-maps', 'throws.mjs'], { cwd: app, env: environment(pack.nodeOnlyPath) });
    assert.notEqual(result.code, 0);
    // The frame maps to the .ts file, and the excerpt Node prints above the error is its TypeScript
    // line: the maps carry the sources, which the package does not ship as files.
    assert.match(result.stderr, /node_modules\/multiprocessing-ts\/src\/synchronize\/lock\.ts:\d+/);
    assert.match(result.stderr, /if \(state === 0\) throw new ProcessError\('semaphore or lock released too many times'\);/);
  });

  test('its doctor reports the prebuilt addon and working start methods', needsAddon, async () => {
    const bin = join(app, 'node_modules', '.bin', 'multiprocessing-ts');
    const result = await ok(bin, ['doctor', '--json'], { cwd: app, env: environment(pack.nodeOnlyPath) });
    const report = JSON.parse(result.stdout);
    assert.equal(report.native.loaded, true, report.native.reason);
    assert.equal(report.native.origin, 'prebuilt');
    assert.ok(report.native.path.startsWith(join(app, 'node_modules', 'multiprocessing-ts', 'native', 'prebuilds')), report.native.path);
    assert.deepEqual(
      Object.fromEntries(Object.entries(report.startMethods).map(([method, check]) => [method, check.ok])),
      { spawn: true, forkserver: true, thread: true },
    );
    assert.equal(report.usable, true);
    assert.deepEqual(report.toolchain.missing, ['make', 'a C++ compiler (g++ or clang++)', 'python3']);
  });

  test('build-native without a toolchain fails naming the package and what to install', async () => {
    const bin = join(app, 'node_modules', '.bin', 'multiprocessing-ts');
    const result = await runCommand(bin, ['build-native'], { cwd: app, env: environment(pack.nodeOnlyPath) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^multiprocessing-ts: cannot compile the native addon: make, a C\+\+ compiler \(g\+\+ or clang\+\+\), python3 not found/);
    assert.match(result.stderr, /Debian\/Ubuntu: +sudo apt-get install -y build-essential python3/);
    assert.match(result.stderr, /Fedora\/RHEL: +sudo dnf install/);
    assert.match(result.stderr, /Alpine: +apk add build-base python3/);
    assert.match(result.stderr, /the 'thread' start method still works/);
  });
});

test('pnpm adds the tarball offline with only node on PATH, and the ESM program runs', async () => {
  // node-gyp-build comes from npm's cache as a tarball, so pnpm needs no registry.
  const dependency = await ok(
    process.execPath,
    [npmCli, 'pack', `node-gyp-build@${installedVersion('node-gyp-build')}`, '--prefer-offline', '--json', '--pack-destination', pack.work],
    { cwd: pack.work, env: environment() },
  );
  const gypBuild = join(pack.work, JSON.parse(dependency.stdout)[0].filename);
  const app = pack.project('pnpm-app', { pnpm: { overrides: { 'node-gyp-build': `file:${gypBuild}` } } });
  const env = environment(pack.nodeOnlyPath);
  await ok(
    process.execPath,
    [pnpmCli, 'add', pack.tarball, '--offline', `--store-dir=${join(pack.work, 'pnpm-store')}`, `--config.cache-dir=${join(pack.work, 'pnpm-cache')}`],
    { cwd: app, env },
  );
  const result = await ok(process.execPath, ['esm.mjs'], { cwd: app, env });
  assert.deepEqual(lastJsonLine(result.stdout), ESM_RESULT);
});
