/**
 * Which modules a received value may make this process import. A value names the modules of the
 * functions and classes in it by URL, and importing a module runs its top-level code: a value
 * from another process or thread may therefore name only code this program can reach already.
 * That is a `file:` module loaded here, or a file under the program's own folders: the package
 * of its main module, the `node_modules` folders Node would resolve packages from there, this
 * library's package, and any folder listed in `MULTIPROCESSING_TS_MODULE_ROOTS`. Children apply
 * the folders of the program that started them (their own main module is this library's entry).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PicklingError } from '../errors.js';
import { scriptLoaded } from './locate.js';

/** Extra folders (absolute paths, separated as in PATH) whose modules received values may name. */
export const MODULE_ROOTS_ENV = 'MULTIPROCESSING_TS_MODULE_ROOTS';

const require = createRequire(import.meta.url);

/** The program's folders as its parent computed them (set in a child), or null: compute them here. */
let inherited: string[] | null = null;
let computed: string[] | null = null;
/** Module URLs known to be reachable: loaded here, or checked already. */
const reachable = new Set<string>();

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The nearest folder at or above `dir` holding a package.json with a name (else any package.json), or null. */
function packageRoot(dir: string): string | null {
  let unnamed: string | null = null;
  for (let at = dir; ; at = dirname(at)) {
    const manifest = join(at, 'package.json');
    if (existsSync(manifest)) {
      try {
        // A package.json that only sets "type" for a subfolder is not a package of its own.
        if (typeof (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'string') return at;
      } catch {
        // Unreadable: it still marks a folder of the program.
      }
      unnamed ??= at;
    }
    if (dirname(at) === at) return unnamed;
  }
}

/** The `node_modules` folders Node looks in for packages imported from a module in `dir`. */
function nodeModulesPath(dir: string): string[] {
  const found: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    if (!at.endsWith(`${sep}node_modules`)) {
      const folder = join(at, 'node_modules');
      if (existsSync(folder)) found.push(folder);
    }
    if (dirname(at) === at) return found;
  }
}

/** The folders of the program run in this process, from its main module (or the working folder without one). */
function ownProgramRoots(): string[] {
  const main = process.argv[1];
  const mainDir = main ? dirname(realpathOr(resolve(main))) : process.cwd();
  const roots = [packageRoot(mainDir) ?? mainDir, ...nodeModulesPath(mainDir)];
  for (const entry of (process.env.NODE_PATH ?? '').split(delimiter)) if (entry && isAbsolute(entry)) roots.push(entry);
  return roots;
}

let own: string[] | null = null;

/** @internal The program's folders, to hand to a child it starts (which applies them as its own). */
export function programModuleRoots(): string[] {
  return inherited ?? (own ??= ownProgramRoots());
}

/** @internal Child side: the folders of the program that started this child. */
export function adoptProgramModuleRoots(roots: readonly string[] | undefined): void {
  if (roots === undefined) return;
  inherited = [...roots];
  computed = null;
}

function extraRoots(): string[] {
  return (process.env[MODULE_ROOTS_ENV] ?? '').split(delimiter).filter((entry) => entry !== '' && isAbsolute(entry));
}

function allowedRoots(): string[] {
  if (computed === null) {
    const library = packageRoot(dirname(fileURLToPath(import.meta.url)));
    const roots = [...programModuleRoots(), ...(library === null ? [] : [library])];
    const both = roots.flatMap((root) => [resolve(root), realpathOr(resolve(root))]);
    computed = [...new Set(both)];
  }
  // Read each time: a program may set the variable after this module first needed the folders.
  return [...computed, ...extraRoots().flatMap((root) => [resolve(root), realpathOr(resolve(root))])];
}

function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** @internal Marks a module as loaded here (a function or class of it is being sent): values may name it. */
export function noteLoadedModule(url: string): void {
  if (url.startsWith('file:')) reachable.add(url);
}

function shown(url: string): string {
  return url.length > 100 ? `${url.slice(0, 97)}...` : url;
}

function refuse(url: string, why: string, roots: readonly string[] | null): PicklingError {
  const folders = roots !== null && roots.length > 0 ? ` (${[...new Set(roots)].join(', ')})` : '';
  const fix =
    roots === null
      ? 'send plain data instead, or functions and classes exported from module files of this program'
      : 'send plain data instead; or, if that code is this program\'s own, import its module here first, or add its folder to the ' +
        `${MODULE_ROOTS_ENV} environment variable (absolute paths separated by '${delimiter}')`;
  return new PicklingError(
    `Refused to import the module ${shown(url)}, named by a received value: ${why}. A value from another process or thread ` +
      `may name only modules this program can reach already: ones loaded here, or files under the program's own folders${folders}; ` +
      'importing any other would run code chosen by the sender. Nothing was imported and the value was dropped (the next one reads as usual). ' +
      `Fix: ${fix}.`,
  );
}

/**
 * @internal Why a received value may not make this process import `url` (a PicklingError saying
 * which module, why, and what to do), or null when it may.
 */
export function moduleRefusal(url: string): PicklingError | null {
  if (reachable.has(url)) return null;
  if (!url.startsWith('file:')) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    const why =
      scheme === 'data' ? 'it is a data: URL, which carries the code itself' : scheme ? `it is a ${scheme}: URL, not a file: one` : 'it is not the URL of a file';
    return refuse(url, why, null);
  }
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch {
    return refuse(url, 'it is not the URL of a local file', null);
  }
  const roots = allowedRoots();
  // Node imports a file by its real path: that is the code that would run.
  const real = realpathOr(file);
  // Only a file that exists can be loaded here already (asking the inspector replays every script).
  if (require.cache[file] !== undefined || roots.some((root) => isUnder(real, root)) || (existsSync(file) && scriptLoaded(url))) {
    reachable.add(url);
    return null;
  }
  return refuse(url, "the file is outside this program's folders and not loaded here", roots);
}
