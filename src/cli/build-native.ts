/**
 * `multiprocessing-ts build-native`: compiles the native addon into the installed package
 * (`native/build/Release`), for a platform or Node ABI the prebuilt binaries do not cover (musl,
 * a Node major newer than the package). Never run by an install script: installing stays free of
 * compilers, and this is the one explicit step for the rare machine that needs it.
 *
 * node-gyp is npm's (`npm_config_node_gyp`, or the copy bundled with npm); the headers are those
 * of the Node running this command, never downloaded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BUILD_COMMAND, NATIVE_DIR } from '../internal/native.js';
import { findToolchain, missingTools, TOOLCHAIN_PACKAGES } from './toolchain.js';

const require = createRequire(import.meta.url);

/** Written to stderr when compiling cannot even start; every line names the package. */
class BuildNativeError extends Error {}

function withoutAddonNote(): string {
  return "Without the addon, the 'thread' start method still works (getContext('thread'), ThreadPool).";
}

/** The directory holding include/node/node.h for this Node: npm_config_nodedir, or Node's own prefix. */
export function findNodeHeaders(): string | null {
  const candidates = [process.env.npm_config_nodedir, dirname(dirname(process.execPath))];
  return candidates.find((dir) => dir !== undefined && dir !== '' && existsSync(join(dir, 'include', 'node', 'node.h'))) ?? null;
}

/** node-gyp's entry script: npm's (as npm passes it to scripts, or bundled with npm), else a local one. */
export function findNodeGyp(): string | null {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  candidates.push(join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((path) => path !== undefined && path !== '' && existsSync(path));
  if (found) return found;
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return null;
  }
}

function prerequisites(): { nodeGyp: string; nodedir: string } {
  const missing = missingTools(findToolchain());
  if (missing.length > 0) {
    throw new BuildNativeError(
      [
        `multiprocessing-ts: cannot compile the native addon: ${missing.join(', ')} not found on PATH.`,
        `Install the build tools, then run \`${BUILD_COMMAND}\` again:`,
        ...TOOLCHAIN_PACKAGES.map(([distribution, command]) => `  ${`${distribution}:`.padEnd(15)} ${command}`),
        withoutAddonNote(),
      ].join('\n'),
    );
  }
  const nodedir = findNodeHeaders();
  if (nodedir === null) {
    throw new BuildNativeError(
      [
        `multiprocessing-ts: cannot compile the native addon: the headers of this Node.js (${process.version}) are not installed`,
        `(looked for include/node/node.h under ${dirname(dirname(process.execPath))}).`,
        'Install Node.js with its headers (the official tarballs have them; distributions ship them as',
        'libnode-dev, nodejs-devel or nodejs-dev), or set npm_config_nodedir to a directory holding include/node.',
        withoutAddonNote(),
      ].join('\n'),
    );
  }
  const nodeGyp = findNodeGyp();
  if (nodeGyp === null) {
    throw new BuildNativeError(
      [
        'multiprocessing-ts: cannot compile the native addon: node-gyp was not found',
        '(npm bundles it: run this command through npx, or set npm_config_node_gyp to node-gyp.js).',
        withoutAddonNote(),
      ].join('\n'),
    );
  }
  return { nodeGyp, nodedir };
}

const USAGE = `Usage: multiprocessing-ts build-native

Compiles the native addon for this machine into ${join(NATIVE_DIR, 'build', 'Release')}.
Needed only where no prebuilt binary fits (musl, a Node.js newer than this package).
Needs make, a C++ compiler and python3.`;

/** Runs the command; resolves the exit code. */
export async function buildNative(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (args.length > 0) {
    console.error(`multiprocessing-ts build-native: unknown argument ${args[0]}\n\n${USAGE}`);
    return 2;
  }
  let found: { nodeGyp: string; nodedir: string };
  try {
    found = prerequisites();
  } catch (error) {
    if (!(error instanceof BuildNativeError)) throw error;
    console.error(error.message);
    return 1;
  }
  console.log(
    `multiprocessing-ts: compiling the native addon in ${NATIVE_DIR} for Node.js ${process.version} (ABI ${process.versions.modules}),\n` +
      `  with node-gyp ${found.nodeGyp} and the headers in ${join(found.nodedir, 'include', 'node')}`,
  );
  const result = spawnSync(
    process.execPath,
    [found.nodeGyp, 'rebuild', '--directory', NATIVE_DIR, `--nodedir=${found.nodedir}`, '--jobs=max'],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) {
    console.error(
      [
        `multiprocessing-ts: compiling the native addon failed (node-gyp ${result.error ? result.error.message : `exit ${result.status ?? result.signal}`}).`,
        'The output above says why. The package folder must be writable.',
        withoutAddonNote(),
      ].join('\n'),
    );
    return 1;
  }
  const built = join(NATIVE_DIR, 'build', 'Release', 'mp_native.node');
  try {
    require(built);
  } catch (error) {
    console.error(`multiprocessing-ts: the addon was compiled but does not load: ${(error as Error).message}`);
    return 1;
  }
  console.log(`multiprocessing-ts: built ${built}; it is used from now on (check with \`npx multiprocessing-ts doctor\`).`);
  return 0;
}
