/**
 * `isMain(import.meta)` / `isMain(module)`: the `if __name__ == '__main__':` of this package.
 * False in every child the package starts (they re-import modules only to find functions),
 * true only in the module Node was asked to run.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isChild } from './process/state.js';

const EXTENSIONS = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx', '.jsx'];
let mainFile: string | null | undefined;

function resolveMainFile(): string | null {
  const argv1 = process.argv[1];
  if (!argv1) return null;
  for (const extension of EXTENSIONS) {
    try {
      return realpathSync(argv1 + extension);
    } catch {
      // try the next extension Node would have tried
    }
  }
  return null;
}

function sameFile(candidate: string): boolean {
  mainFile ??= resolveMainFile();
  if (mainFile === null) return false;
  try {
    return realpathSync(candidate) === mainFile;
  } catch {
    return false;
  }
}

export function isMain(moduleOrMeta: ImportMeta | { id?: string; filename?: string; url?: string }): boolean {
  if (isChild()) return false;
  if (typeof moduleOrMeta !== 'object' || moduleOrMeta === null) {
    throw new TypeError('isMain() takes import.meta (ES modules) or module (CommonJS)');
  }
  const meta = moduleOrMeta as { url?: unknown; id?: unknown; filename?: unknown };
  if (typeof meta.url === 'string') {
    if (!meta.url.startsWith('file:')) return false;
    return sameFile(fileURLToPath(meta.url));
  }
  if (meta.id === '.') return true;
  if (typeof meta.filename === 'string') return sameFile(meta.filename);
  throw new TypeError('isMain() takes import.meta (ES modules) or module (CommonJS)');
}
