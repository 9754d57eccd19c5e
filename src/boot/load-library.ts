/**
 * Loads the package's library: every module bundled at build time into one CommonJS file,
 * `dist/internal/library.cjs`, compiled with V8's code cache. One file instead of ~90 ES modules
 * saves resolving, reading and linking each (most of an import's cost); the code cache saves
 * compiling it, in the program and again in every child process and thread. `vm.Script` with
 * cached data is how Node offers a code cache on every supported version (Node 20 has no
 * `module.enableCompileCache()`), and it touches nothing but this file: the program's own
 * modules compile as they always do.
 *
 * The cache lives in a folder of the user's own (`$TMPDIR/multiprocessing-ts-<uid>`, mode 0700,
 * or `MULTIPROCESSING_TS_CACHE_DIR`), keyed by Node version, flags and the library file; V8
 * rejects data that does not match and the loader writes it again. It is written twice at most:
 * right after the first load, then by the first child once it has started its target, with the
 * functions a child needs compiled too. `MULTIPROCESSING_TS_CODE_CACHE=0` (or Node's own
 * `NODE_DISABLE_COMPILE_CACHE=1`) turns it off.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const LIBRARY_FILE = fileURLToPath(new URL('../internal/library.cjs', import.meta.url));

/** First byte of a cache file: how much of the library it holds compiled. */
const enum Richness {
  /** Made right after loading: the top-level code. */
  Loaded = 1,
  /** Made by a child after it started its target: also what a child runs to get there. */
  ChildStarted = 2,
}

interface CodeCache {
  file: string;
  richness: number;
  data: Buffer | undefined;
  /** The file as this process read it (mtime and size), or null when there was none. */
  seen: string | null;
}

interface LibraryExports {
  modules: Record<string, object>;
  attachLoader(loader: { importModule(specifier: string): Promise<unknown>; saveRicherCodeCache(): void }): void;
}

/** FNV-1a: a cache key needs no cryptography (and node:crypto costs milliseconds to load). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function cacheEnabled(): boolean {
  const { MULTIPROCESSING_TS_CODE_CACHE: own, NODE_DISABLE_COMPILE_CACHE: node } = process.env;
  return own !== '0' && own !== 'false' && (node === undefined || node === '' || node === '0');
}

/** The cache folder if it is safe to use: this user's, a real folder, writable by nobody else. */
function cacheFolder(): string | null {
  const uid = process.getuid?.() ?? 0;
  const folder =
    process.env.MULTIPROCESSING_TS_CACHE_DIR ||
    join(process.env.TMPDIR || process.env.TMP || process.env.TEMP || '/tmp', `multiprocessing-ts-${uid}`);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    // Cached code runs as this program: a folder others can write to could feed it theirs.
    const stat = statSync(folder);
    if (!stat.isDirectory() || (process.getuid && stat.uid !== uid) || (stat.mode & 0o022) !== 0) return null;
    return folder;
  } catch {
    return null;
  }
}

function findCodeCache(librarySize: number, libraryTime: number): CodeCache | null {
  if (!cacheEnabled()) return null;
  const folder = cacheFolder();
  if (folder === null) return null;
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  const key = hash(`${process.version} ${process.arch} ${flags} ${librarySize} ${libraryTime} ${LIBRARY_FILE}`);
  const file = join(folder, `library-${process.versions.v8}-${key}.cache`);
  let contents: Buffer;
  let seen: string | null;
  try {
    seen = stampOf(file);
    contents = readFileSync(file);
  } catch {
    return { file, richness: 0, data: undefined, seen: null };
  }
  if (contents.length < 2) return { file, richness: 0, data: undefined, seen };
  return { file, richness: contents[0]!, data: contents.subarray(1), seen };
}

function stampOf(file: string): string {
  const stat = statSync(file);
  return `${stat.mtimeMs} ${stat.size}`;
}

/**
 * How rich the cache another process wrote since this one read the file is (0: nobody wrote
 * since): processes of one program write the same file, and a parent's cache made at import must
 * not replace the richer one its child just wrote.
 */
function richnessWrittenSince(cache: CodeCache): number {
  let fd: number | undefined;
  try {
    if (stampOf(cache.file) === cache.seen) return 0;
    fd = openSync(cache.file, 'r');
    const first = Buffer.alloc(1);
    return readSync(fd, first, 0, 1, 0) === 1 ? first[0]! : 0;
  } catch {
    return 0;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeCodeCache(cache: CodeCache, script: Script, richness: Richness): void {
  if (richnessWrittenSince(cache) >= richness) {
    cache.richness = richness;
    return;
  }
  const temporary = `${cache.file}.${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    const data = script.createCachedData();
    writeFileSync(temporary, Buffer.concat([Buffer.of(richness), data]), { mode: 0o600 });
    // Readers see the old file or the new one, never half of one.
    renameSync(temporary, cache.file);
    cache.richness = richness;
    cache.seen = stampOf(cache.file);
  } catch {
    // A full disk or a read-only folder: the library still runs, compiled as it loads.
    try {
      unlinkSync(temporary);
    } catch {
      // nothing was written
    }
  }
}

/** How the library was loaded in this thread: what `multiprocessing-ts doctor` and the tests report. */
export interface LibraryLoadInfo {
  /** `script`: compiled with the code cache; `require`: by Node's loader (source maps enabled). */
  via: 'script' | 'require';
  /** `used`: compiled from the cache; `missing`/`rejected`: compiled from source, cache written; `off`: no cache. */
  codeCache: 'used' | 'missing' | 'rejected' | 'off';
  /** The cache file, or null when there is none. */
  cacheFile: string | null;
}

export const libraryLoad: LibraryLoadInfo = { via: 'script', codeCache: 'off', cacheFile: null };

/** The program's modules (those functions sent to the library name) load through Node's own loader. */
const importModule = (specifier: string): Promise<unknown> => import(specifier);
const withoutCache = { importModule, saveRicherCodeCache: (): void => undefined };

function loadLibrary(): LibraryExports {
  if (process.sourceMapsEnabled) {
    libraryLoad.via = 'require';
    // Node maps stack traces only for modules its own loaders compiled: `--enable-source-maps`
    // is for debugging, which is worth more there than the code cache.
    const library = createRequire(import.meta.url)(LIBRARY_FILE) as LibraryExports;
    library.attachLoader(withoutCache);
    return library;
  }
  const fd = openSync(LIBRARY_FILE, 'r');
  let source: string;
  let cache: CodeCache | null;
  try {
    const stat = fstatSync(fd);
    source = readFileSync(fd, 'utf8');
    cache = findCodeCache(stat.size, Math.trunc(stat.mtimeMs));
  } finally {
    closeSync(fd);
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: LIBRARY_FILE,
    cachedData: cache?.data,
  });
  const module = { exports: {} as LibraryExports };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(LIBRARY_FILE), module, LIBRARY_FILE, dirname(LIBRARY_FILE));
  const library = module.exports;
  if (!cache) {
    library.attachLoader(withoutCache);
    return library;
  }
  const found = cache;
  const usable = found.data !== undefined && !script.cachedDataRejected;
  libraryLoad.cacheFile = found.file;
  libraryLoad.codeCache = usable ? 'used' : found.data === undefined ? 'missing' : 'rejected';
  if (!usable) {
    found.richness = 0;
    // After this turn: the import that loaded the library is not kept waiting for the write.
    // (Kept ref'd: a program that ends at once still leaves the cache for the next one.)
    setImmediate(() => {
      if (found.richness === 0) writeCodeCache(found, script, Richness.Loaded);
    });
  }
  library.attachLoader({
    importModule,
    saveRicherCodeCache: () => {
      if (found.richness < Richness.ChildStarted) writeCodeCache(found, script, Richness.ChildStarted);
    },
  });
  return library;
}

/** The library's modules by their path under `dist/` without `.js` (`'pool/worker'`). */
export const library: Readonly<Record<string, object>> = loadLibrary().modules;
