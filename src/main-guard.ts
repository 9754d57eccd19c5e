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

/**
 * Whether this module is the program's main module: the equivalent of Python's
 * `if __name__ == '__main__':`. Pass `import.meta` (ES modules, tsx, tsc's ESM output) or
 * `module` (CommonJS).
 *
 * A child imports the module that defines its target (or the Pool's task functions) to find
 * them, so code at the top level of that module runs again in the child. Guard the code that
 * starts processes, pools and other work with `isMain`: it is false in every child the package
 * starts, and true only in the module Node was asked to run.
 * @param moduleOrMeta `import.meta`, or CommonJS's `module`.
 * @category Processes
 * @example
 * ```ts
 * import { Process, isMain } from 'multiprocessing-ts';
 *
 * export function work(): void {
 *   console.log('in the child');
 * }
 *
 * // Runs in the main process only: a child imports this module to find `work`, and skips this.
 * if (isMain(import.meta)) {
 *   const p = new Process({ target: work });
 *   p.start();
 *   await p.join();
 * }
 * ```
 */
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
