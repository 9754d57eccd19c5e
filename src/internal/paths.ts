/**
 * Where the package's own files are. The library runs bundled into one file,
 * `dist/internal/library.cjs`, beside this module's own compiled place: paths relative to
 * `import.meta.url` resolve the same from either.
 */
import { fileURLToPath } from 'node:url';

/** The package's `dist/` folder, as a URL. */
export const DIST_URL = new URL('../', import.meta.url);

/** A file under `dist/`, as a path. */
export function distPath(relative: string): string {
  return fileURLToPath(new URL(relative, DIST_URL));
}
