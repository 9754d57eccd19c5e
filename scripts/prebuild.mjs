// Builds the prebuilt native addons shipped in the package (native/prebuilds/), for Linux x64 and
// arm64 (glibc) and every Node major from the one `engines` names to the newest on the registry.
//
// Each major's headers and `node` come from the npm registry's node-linux-<arch> package (cached
// outside the repository); nothing else is downloaded. arm64 is cross-compiled with Debian's
// g++-aarch64-linux-gnu. Every binary is then checked, and the script fails if any check does:
// - it requires no glibc symbol newer than GLIBC_FLOOR and nothing from libstdc++ (GLIBCXX);
// - it loads and works in that major's real `node` (arm64 under qemu-user).
// The binaries and a manifest (the hash of the sources they were built from) are committed.
//
// Needs: an x64 Linux host with g++, make, python3, and for arm64
//   apt-get install -y g++-aarch64-linux-gnu qemu-user
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GLIBC_FLOOR,
  PREBUILD_GYP_ARGS,
  manifestPath,
  nativeDir,
  nativeSourceFiles,
  nativeSourceHash,
  prebuildsDir,
} from './native-sources.mjs';
import { compareVersions, newestPerMajor, nodeRelease, REGISTRY_PACKAGES, run, runOk, ScriptError, supportedMajors } from './node-releases.mjs';

const require = createRequire(import.meta.url);
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');

/** How each architecture is compiled, inspected and run from this (x64) host. */
const ARCHES = {
  x64: { toolPrefix: '', runner: [] },
  arm64: {
    toolPrefix: 'aarch64-linux-gnu-',
    runner: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'],
    install: 'apt-get install -y g++-aarch64-linux-gnu qemu-user',
  },
};

// Run in the target's `node`: loads the binary and uses shared memory, a futex and a waiter
// thread (the thread functions are the ones the glibc floor rebinds).
const LOAD_CHECK = `
const [file, abi] = process.argv.slice(1);
if (process.versions.modules !== abi) throw new Error('ABI ' + process.versions.modules + ', expected ' + abi);
const module = { exports: {} };
process.dlopen(module, file);
const addon = module.exports;
const fd = addon.memfdCreate('mp-prebuild-check', 4096);
if (addon.fdSize(fd) !== 4096) throw new Error('fdSize');
const words = new Int32Array(addon.mapShared(fd, 4096));
addon.closeFd(fd);
if (addon.futexWaitSync(words, 0, 1, 0) !== 1) throw new Error('futexWaitSync');
addon.futexWaitAsync(words, 0, 0, 20, (result) => {
  if (result !== 2) throw new Error('futexWaitAsync gave ' + result);
  console.log(JSON.stringify({ node: process.version, abi: process.versions.modules, exports: Object.keys(addon).length }));
});
`;

function fail(message) {
  throw new ScriptError(message);
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function build(arch, release, outFile) {
  const { toolPrefix } = ARCHES[arch];
  const work = mkdtempSync(join(tmpdir(), `mp-prebuild-${arch}-`));
  try {
    for (const name of nativeSourceFiles()) cpSync(join(nativeDir, name), join(work, name));
    const env = { ...process.env };
    // `npm run` exports the user's npm config (a `nodedir` in .npmrc, say), which node-gyp would
    // prefer over --nodedir: every major would build against that one Node's headers.
    for (const key of Object.keys(env)) if (/^npm_config_nodedir$/i.test(key)) delete env[key];
    if (toolPrefix) {
      Object.assign(env, {
        CC: `${toolPrefix}gcc`,
        CXX: `${toolPrefix}g++`,
        LINK: `${toolPrefix}g++`,
        AR: `${toolPrefix}ar`,
      });
    }
    runOk(
      process.execPath,
      [
        nodeGyp,
        'rebuild',
        '--directory',
        work,
        `--nodedir=${release.dir}`,
        `--arch=${arch}`,
        `--jobs=${availableParallelism()}`,
        '--',
        ...PREBUILD_GYP_ARGS,
      ],
      { env },
    );
    runOk(`${toolPrefix}strip`, ['--strip-unneeded', '-o', outFile, join(work, 'build', 'Release', 'mp_native.node')]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The newest GLIBC_x.y a binary requires; fails on any libstdc++ requirement. */
function checkGlibc(arch, file) {
  const { toolPrefix } = ARCHES[arch];
  const symbols = runOk(`${toolPrefix}objdump`, ['-T', file]);
  const needed = runOk(`${toolPrefix}readelf`, ['-d', file]);
  const cxx = symbols.split('\n').filter((line) => /GLIBCXX_|CXXABI_/.test(line));
  if (cxx.length > 0 || /libstdc\+\+/.test(needed)) {
    fail(`${file} requires libstdc++:\n${cxx.join('\n')}`);
  }
  const versionOf = (line) => /GLIBC_(\d+(?:\.\d+)+)/.exec(line)?.[1];
  const versions = symbols.split('\n').map(versionOf).filter(Boolean);
  const newest = versions.reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b), '0');
  if (compareVersions(newest, GLIBC_FLOOR) > 0) {
    const late = symbols.split('\n').filter((line) => versionOf(line) && compareVersions(versionOf(line), GLIBC_FLOOR) > 0);
    fail(`${file} requires GLIBC_${newest}, newer than the floor ${GLIBC_FLOOR}:\n${late.join('\n')}`);
  }
  return newest;
}

function checkLoads(arch, release, file) {
  const { runner } = ARCHES[arch];
  const [command, ...prefix] = runner.length > 0 ? runner : [release.node];
  const args = [...prefix, ...(runner.length > 0 ? [release.node] : []), '-e', LOAD_CHECK, file, release.abi];
  const result = run(command, args, { timeout: 120_000 });
  if (result.status !== 0) fail(`${file} does not load in ${release.node}:\n${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

function compilerVersion(arch) {
  return runOk(`${ARCHES[arch].toolPrefix}g++`, ['--version']).split('\n')[0];
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') fail('run this on an x64 Linux host');
  for (const [arch, { toolPrefix, runner, install }] of Object.entries(ARCHES)) {
    for (const tool of [`${toolPrefix}g++`, `${toolPrefix}objdump`, `${toolPrefix}strip`, ...runner.slice(0, 1), 'make', 'python3']) {
      if (!hasCommand(tool)) fail(`${tool} is missing (for ${arch})${install ? `: ${install}` : ''}`);
    }
  }
  const majors = supportedMajors();

  // Built next to the old set and swapped in only once every binary passed its checks.
  const staging = join(nativeDir, '.prebuilds-new');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  try {
    buildAll(staging, majors);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  rmSync(prebuildsDir, { recursive: true, force: true });
  renameSync(staging, prebuildsDir);
}

function buildAll(staging, majors) {
  const binaries = [];
  const missing = [];
  const started = Date.now();
  for (const arch of Object.keys(ARCHES)) {
    const releases = newestPerMajor(arch);
    for (const major of majors) {
      const version = releases.get(major);
      if (!version) {
        const reason = `the registry has no ${REGISTRY_PACKAGES[arch]}@${major}`;
        missing.push({ arch, major, reason });
        console.log(`linux-${arch} Node ${major}: skipped (${reason})`);
        continue;
      }
      const release = nodeRelease(arch, version);
      const file = join(`linux-${arch}`, `node.abi${release.abi}.glibc.node`);
      const out = join(staging, file);
      mkdirSync(join(staging, `linux-${arch}`), { recursive: true });
      build(arch, release, out);
      const glibc = checkGlibc(arch, out);
      const loaded = checkLoads(arch, release, out);
      console.log(`linux-${arch} Node ${version} (ABI ${release.abi}): GLIBC_${glibc}, loads in ${loaded.node}`);
      binaries.push({ file, arch, abi: Number(release.abi), node: version, glibc, sha256: sha256(out) });
    }
  }
  const manifest = {
    sources: nativeSourceHash(),
    gypArgs: PREBUILD_GYP_ARGS,
    glibcFloor: GLIBC_FLOOR,
    compilers: Object.fromEntries(Object.keys(ARCHES).map((arch) => [arch, compilerVersion(arch)])),
    binaries,
    missing,
  };
  writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`${binaries.length} binaries (${Math.round((Date.now() - started) / 1000)} s); manifest: ${manifestPath}`);
}

try {
  main();
} catch (error) {
  console.error(error instanceof ScriptError ? `prebuild: ${error.message}` : error);
  process.exitCode = 1;
}
