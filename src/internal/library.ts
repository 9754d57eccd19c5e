/**
 * The library as it runs: one bundled file (`dist/internal/library.cjs`) holding every module,
 * loaded once per process or thread by `dist/boot/load-library.js`. Each public module of
 * `dist/` re-exports its part of that one instance, so state (registries, the current process,
 * the spares) exists once however the package is reached.
 */

/** What the loader offers the library it ran. */
export interface LibraryLoader {
  /** `import()` from an ES module: code the bundle runs as a script cannot import by itself. */
  importModule(specifier: string): Promise<unknown>;
  /** Rewrites the code cache with what this thread has compiled by now, unless that was done already. */
  saveRicherCodeCache(): void;
}

let modules: Readonly<Record<string, object>> | null = null;
let loader: LibraryLoader | null = null;

/** Called by the bundle's entry with its modules, by their path under `dist/` without `.js`. */
export function adoptModules(all: Readonly<Record<string, object>>): void {
  modules = all;
}

/** The bundled modules by path (`'pool/worker'`), or null when the library runs unbundled. */
export function libraryModules(): Readonly<Record<string, object>> | null {
  return modules;
}

/** The URL functions defined in the bundle report as their location. */
export const LIBRARY_URL: string = import.meta.url;

/**
 * Imports a module of the program (a module a received function or class names), through
 * Node's own loader and whatever hooks the program registered (tsx, ...).
 */
export function importModule(specifier: string): Promise<unknown> {
  return loader ? loader.importModule(specifier) : import(specifier);
}

/** Called by the loader once the bundle has run. */
export function attachLoader(attached: LibraryLoader): void {
  loader = attached;
}

/**
 * Once a child has set itself up, the functions it compiled to get there are worth caching too:
 * the next child then finds them compiled. Scheduled after the current turn; done once per
 * Node version and library build (the loader knows), so a child's exit waits for it at most once.
 */
export function cacheWhatBootCompiled(): void {
  const current = loader;
  if (current) setImmediate(() => current.saveRicherCodeCache());
}
