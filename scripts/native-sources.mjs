// What the prebuilt binaries are built from: the native sources, binding.gyp and the extra gyp
// arguments of the prebuild. Their hash is recorded in native/prebuilds/manifest.json, and a test
// compares it with the tree, so binaries older than the sources they claim to be cannot ship.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;
export const nativeDir = join(root, 'native');
export const prebuildsDir = join(nativeDir, 'prebuilds');
export const manifestPath = join(prebuildsDir, 'manifest.json');

/** Extra gyp arguments of the prebuilt binaries (see native/binding.gyp). */
export const PREBUILD_GYP_ARGS = ['-Dmp_portable_glibc=1'];

/** The newest glibc symbol version a prebuilt binary may require (what Node's own binaries need). */
export const GLIBC_FLOOR = '2.28';

/** The files a native build reads, relative to native/, sorted. */
export function nativeSourceFiles() {
  return readdirSync(nativeDir)
    .filter((name) => /\.(cc|h)$/.test(name) || name === 'binding.gyp')
    .sort();
}

/** sha256 over the native sources (line endings normalised) and the prebuild's gyp arguments. */
export function nativeSourceHash() {
  const hash = createHash('sha256');
  for (const name of nativeSourceFiles()) {
    hash.update(`${name}\0`);
    hash.update(readFileSync(join(nativeDir, name), 'utf8').replace(/\r\n/g, '\n'));
    hash.update('\0');
  }
  hash.update(JSON.stringify(PREBUILD_GYP_ARGS));
  return `sha256:${hash.digest('hex')}`;
}
