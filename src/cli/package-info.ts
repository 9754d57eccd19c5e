/** The installed package: its folder and package.json, as the command line reports them. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder (the one holding package.json, dist/ and native/). */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
