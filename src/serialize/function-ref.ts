/**
 * Functions travel by reference, as pickle sends them: the URL of the defining module plus
 * the export path, checked with a hash of the source. The child imports the module and takes
 * the same function. Anything the child could not find that way is refused at the call site.
 * Classes are found the same way, for their instances to travel with their prototype (as pickle
 * sends an instance by a reference to its class).
 */
import { importModule, LIBRARY_URL, libraryModules } from '../internal/library.js';
import { readFileSync } from 'node:fs';
import { createRequire, findSourceMap } from 'node:module';
import { basename, extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PicklingError } from '../errors.js';
import { locateFunction, moduleBindingsHolding, type FunctionLocation } from './locate.js';
import { lookupRegisteredFunction, registeredFunction } from './registry.js';
import { refusal } from './refusal.js';
import { registersTests, TEST_FILE_CONSEQUENCE } from './test-file.js';

export interface FunctionRef {
  url: string;
  format: 'module' | 'commonjs';
  name: string;
  /** Export path (`['square']`, `['Tasks', 'run']`), or null: search the exports by name and hash. */
  path: string[] | null;
  /** Set when the function was made sendable with `register()`. */
  registered: boolean;
  hash: string;
}

const require = createRequire(import.meta.url);
const cache = new WeakMap<Function, FunctionRef>();

/**
 * A fingerprint of a function's source (two 32-bit multiplicative lanes): it tells an edited file
 * from the one the sender loaded. Not a defence (module-trust.ts decides what may load), so it
 * needs no cryptography, and every child saves loading node:crypto to check its target.
 */
export function sourceHash(fn: Function): string {
  const text = Function.prototype.toString.call(fn);
  let a = 0x811c9dc5;
  let b = 0x9e3779b9 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** What a reference is for: a function the receiver calls, or a class its instances are rebuilt with. */
export type RefRole = 'function' | 'class';

function displayName(fn: Function, role: RefRole): string {
  if (role === 'class') return fn.name ? `an instance of class '${fn.name}'` : 'an instance of an anonymous class';
  return fn.name ? `'${fn.name}'` : 'an anonymous function';
}

function isArrow(source: string): boolean {
  return !/^(async\s+)?(function|class)\b/.test(source) && /^(async\s*)?(\([^)]*\)|[\w$]+)\s*=>/.test(source);
}

/** Method shorthand (`run() {}`, `static run() {}` as printed): lives in an exported class or object. */
function isMethod(source: string): boolean {
  return !/^(async\s+)?(function|class)\b/.test(source) && !isArrow(source);
}

function refuse(fn: Function, role: RefRole, where: string, why: string, fix: string): PicklingError {
  return refusal(`${displayName(fn, role)}${where}`, why, fix);
}

/** The fix for a class the receiver cannot import. */
function classFix(cls: Function): string {
  const name = cls.name || 'Cls';
  return `export the class from a module file (export class ${name} ...), or call registerClass(${name}) at the top level of the module that defines it; or send plain data instead`;
}

function position(location: FunctionLocation): string {
  const file = location.url.startsWith('file:') ? fileURLToPath(location.url) : location.url;
  try {
    // Compiled on the fly (tsx) or with source maps enabled: point at the user's own source.
    const entry = findSourceMap(location.url)?.findEntry(location.line - 1, location.column - 1);
    if (entry && 'originalLine' in entry) {
      const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : entry.originalSource;
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    }
  } catch {
    // No usable source map: the position in the code that runs.
  }
  return `${file}:${location.line}:${location.column}`;
}

function at(location: FunctionLocation): string {
  // Code made by eval() or new Function() has no file; its line is relative to that string.
  return location.url === '' ? '' : ` (defined at ${position(location)})`;
}

/**
 * Searches a module's exports for a function: top level, static members of exported classes,
 * members of exported objects. Returns the export path, or null.
 */
function searchExports(exportsObject: unknown, matches: (candidate: unknown) => boolean): string[] | null {
  if (matches(exportsObject)) return [];
  if ((typeof exportsObject !== 'object' && typeof exportsObject !== 'function') || exportsObject === null) return null;
  const record = exportsObject as Record<string, unknown>;
  const keys = Object.keys(record);
  for (const key of keys) if (matches(record[key])) return [key];
  for (const key of keys) {
    const holder = record[key];
    if ((typeof holder !== 'object' && typeof holder !== 'function') || holder === null) continue;
    for (const member of Object.getOwnPropertyNames(holder)) {
      if (member === 'prototype' || member === 'caller' || member === 'arguments') continue;
      let value: unknown;
      try {
        value = (holder as Record<string, unknown>)[member];
      } catch {
        continue; // a throwing getter is not a function we could send
      }
      if (matches(value)) return [key, member];
    }
  }
  return null;
}

function sameSource(name: string, hash: string): (candidate: unknown) => boolean {
  return (candidate) => typeof candidate === 'function' && candidate.name === name && sourceHash(candidate) === hash;
}

function findExportPath(exportsObject: unknown, fn: Function, hash: string): string[] | null {
  const equivalent = sameSource(fn.name, hash);
  return searchExports(exportsObject, (candidate) => candidate === fn || equivalent(candidate));
}

/**
 * Whether a module's source text makes `name` reachable from its exports: declared as an export,
 * or defined as a property of an exported object literal (`name: (...) => ...`). Used only
 * when the module's namespace cannot be read yet; the child verifies by name and source hash.
 */
function sourceMentionsExport(filename: string, name: string): boolean {
  // The module scope's name of an anonymous default export.
  if (name === '*default*') return true;
  let text: string;
  try {
    text = readFileSync(filename, 'utf8');
  } catch {
    return false;
  }
  const n = name.replace(/[$]/g, '\\$');
  return [
    new RegExp(`export\\s+(default\\s+)?(async\\s+)?function\\s*\\*?\\s*${n}\\b`),
    new RegExp(`export\\s+(const|let|var)\\s+${n}\\b`),
    new RegExp(`export\\s+(default\\s+)?(abstract\\s+)?class\\s+${n}\\b`),
    new RegExp(`export\\s*\\{[^}]*\\b${n}\\b[^}]*\\}`),
    new RegExp(`export\\s+default\\s+${n}\\b`),
    // A property of an object literal that is itself exported (`export const tasks = { name: ... }`
    // or `export default { name: ... }`); a property of an unexported object is not reachable.
    new RegExp(
      `export\\s+(default\\s*|(const|let|var)\\s+[\\w$]+\\s*=\\s*)\\{[\\s\\S]*?(^|[{,\\s])${n}\\s*:\\s*(async\\s*)?(function\\b|\\(|[\\w$]+\\s*=>)`,
      'm',
    ),
  ].some((pattern) => pattern.test(text));
}

type ExportsLookup = { format: 'module' | 'commonjs'; exports: unknown } | { format: 'module'; exports: undefined };

/**
 * Whether a module loader (tsx, ts-node, ...) may be hooked into `require`. Then `require()` of an
 * ES module file could compile and run it a second time instead of returning the loaded namespace.
 */
function loaderHooksActive(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((flag) => /^(--import|--loader|--experimental-loader|--require|-r)(=|$)/.test(flag));
}

function moduleExports(url: string): ExportsLookup {
  const modules = libraryModules();
  if (modules !== null && url === LIBRARY_URL) return { format: 'commonjs', exports: modules };
  // `require()` knows files, not URLs: `mod.mjs?v=2` would come back as another instance of `mod.mjs`.
  if (/[?#]/.test(url)) return { format: 'module', exports: undefined };
  const filename = fileURLToPath(url);
  const cached = require.cache[filename];
  const loaded = cached?.exports as Record<PropertyKey, unknown> | undefined;
  if (cached && loaded?.[Symbol.toStringTag] !== 'Module') return { format: 'commonjs', exports: cached.exports };
  if (!/\.(mjs|js)$/.test(filename) || (!cached && loaderHooksActive())) return { format: 'module', exports: undefined };
  try {
    // An ES module that is already evaluated comes back synchronously as the same namespace.
    return { format: 'module', exports: require(filename) };
  } catch {
    // Still evaluating (top-level await in the main module) or not loadable by require().
    return { format: 'module', exports: undefined };
  }
}

/**
 * The exports of the module at `url` if this process has it already (or can load it at once, as
 * `require()` does): what lets a blocking read rebuild a value without an async import first.
 */
export function syncModuleExports(url: string): unknown {
  return url.startsWith('file:') ? moduleExports(url).exports : undefined;
}

/** The reference a child uses to find `fn`; throws PicklingError with the reason and the fix. */
export function describeFunction(fn: Function): FunctionRef {
  return describe(fn, 'function');
}

/**
 * The reference a child uses to find the class `cls` of an instance being sent, found as a
 * function is (an export of its module); throws PicklingError naming the instance's class.
 */
export function describeClass(cls: Function): FunctionRef {
  return describe(cls, 'class');
}

function describe(fn: Function, role: RefRole): FunctionRef {
  const known = cache.get(fn);
  if (known) return known;
  const ref = buildRef(fn, role);
  if (registersTests(ref.url)) throw refuseTestFile(fn, role, ref.url);
  cache.set(fn, ref);
  return ref;
}

/** Refuses what is defined in a node:test test file (see test-file.ts). */
export function refuseTestFile(fn: Function, role: RefRole, url: string): PicklingError {
  const file = fileURLToPath(url);
  const name = fn.name || (role === 'class' ? 'Cls' : 'fn');
  const ext = extname(file);
  const helper = `${basename(file, ext).replace(/[._-](test|spec)$/, '')}.tasks${ext}`;
  return refuse(
    fn,
    role,
    ` (defined in the test file ${file})`,
    TEST_FILE_CONSEQUENCE,
    `move ${role === 'class' ? `the class ${name}` : name} into a module of its own (say ${helper} next to the test), export it there and import it in the test file`,
  );
}

/**
 * Whether a method (`run() {}` in an object literal or a class body) is reachable from its
 * module's exports while that module is still evaluating: some top-level binding holding it
 * is exported.
 */
function methodIsExported(fn: Function, file: string): boolean {
  const holders = moduleBindingsHolding(fn);
  return holders !== null && holders.some((name) => sourceMentionsExport(file, name));
}

function buildRef(fn: Function, role: RefRole): FunctionRef {
  const hash = sourceHash(fn);
  const registered = role === 'function' ? registeredFunction(fn) : undefined;
  if (registered) {
    const format = moduleFormat(registered.url);
    return { url: registered.url, format, name: registered.name, path: null, registered: true, hash };
  }
  // The library's own functions (a pool worker's loop) are found among its modules without
  // asking the inspector, whose first use in a program costs tens of milliseconds.
  const own = libraryRefByIdentity(fn, hash);
  if (own) return own;
  const located = locateFunction(fn);
  if (located.kind === 'bound') {
    const target = located.target;
    if (target === null || (target.url !== '' && !/^(file|data):/.test(target.url))) {
      // console.log and friends are built-ins bound to their object.
      throw refuse(fn, role, '', 'it is a built-in function (bound to its object) with no module of its own', 'wrap the call in a top-level exported function of your own module');
    }
    throw refuse(
      fn,
      role,
      target.url === '' ? '' : ` (a bound copy of the function defined at ${position(target)})`,
      'it is a bound function (made by .bind())',
      'send the original exported function and pass the bound values in args',
    );
  }
  if (located.kind === 'native') {
    if (role === 'class') throw refuse(fn, role, '', 'it is a built-in class of the JavaScript engine with no module of its own', 'send the data it holds instead');
    throw refuse(fn, role, '', 'it is a built-in function with no module of its own', 'wrap the call in a top-level exported function of your own module');
  }
  if (located.kind === 'unavailable') {
    return fallbackRef(fn, role, hash, located.reason);
  }
  const { location } = located;
  const where = at(location);
  if (location.url === '' || !/^(file|data):/.test(location.url)) {
    const made = role === 'class' ? 'the class was made by eval() or new Function() and has no module' : 'it was made by eval() or new Function() and has no module';
    const origin = location.url === '' ? made : `${role === 'class' ? 'the class' : 'it'} is defined inside ${location.url}`;
    throw refuse(fn, role, where, origin, role === 'class' ? classFix(fn) : 'define it as a top-level exported function in a module file');
  }
  const source = Function.prototype.toString.call(fn);
  const innermost = location.scopes[0] ?? '';
  const nested = ['Closure', 'Local', 'Block', 'Catch', 'With', 'Eval'].includes(innermost);
  const lookup = location.url.startsWith('file:') ? moduleExports(location.url) : { format: 'module' as const, exports: undefined };
  if (lookup.exports !== undefined) {
    const path = findExportPath(lookup.exports, fn, hash);
    if (path) return { url: location.url, format: lookup.format, name: fn.name, path, registered: false, hash };
  }
  if (lookup.format === 'module' && !nested && location.url.startsWith('file:')) {
    // The module is still evaluating: trust what its source declares, and let the child verify.
    const file = fileURLToPath(location.url);
    const method = isMethod(source);
    if ((method && methodIsExported(fn, file)) || (!method && fn.name !== '' && sourceMentionsExport(file, fn.name))) {
      return { url: location.url, format: 'module', name: fn.name, path: null, registered: false, hash };
    }
  }
  if (role === 'class') {
    const why = nested
      ? 'the class is defined inside a function, so the child cannot import it'
      : 'the class is not exported from its module, so the child cannot import it to restore the instance\'s prototype (its methods, getters and instanceof)';
    throw refuse(fn, role, where, why, classFix(fn));
  }
  if (nested) {
    throw refuse(
      fn,
      role,
      where,
      'it is a closure (defined inside another function), so the child cannot reach it by name',
      'move it to the top level of its module and export it; pass the values it captures in args',
    );
  }
  if (isArrow(source)) {
    throw refuse(
      fn,
      role,
      where,
      'it is an arrow function that its module does not export',
      'define it as a top-level exported function (export function name(...) {...}) and pass that',
    );
  }
  if (isMethod(source)) {
    throw refuse(
      fn,
      role,
      where,
      'it is a method of an object (or class) that its module does not export, so the child cannot reach it',
      `send data, not objects with methods: export the function (export function ${fn.name || 'name'}...), or export the class and send an instance of it`,
    );
  }
  const registerHint = `or call register(import.meta.url, { ${fn.name || 'fn'} }) at the top level of its module`;
  throw refuse(fn, role, where, 'it is not exported from its module', `export it (export function ${fn.name || 'name'}...), ${registerHint}`);
}

/**
 * A function exported by one of the library's own modules (a pool worker's loop), found by
 * identity: it travels as a module path and export name inside the bundle, which the receiver,
 * running the same package, finds there.
 */
function libraryRefByIdentity(fn: Function, hash: string): FunctionRef | null {
  const modules = libraryModules();
  if (modules === null) return null;
  const path = searchExports(modules, (candidate) => candidate === fn);
  return path ? { url: LIBRARY_URL, format: 'commonjs', name: fn.name, path, registered: false, hash } : null;
}

function moduleFormat(url: string): 'module' | 'commonjs' {
  if (!url.startsWith('file:')) return 'module';
  return moduleExports(url).format;
}

/** Without an inspector (e.g. under the permission model), only the main module's exports are searched. */
function fallbackRef(fn: Function, role: RefRole, hash: string, reason: string): FunctionRef {
  const main = process.argv[1];
  if (main) {
    const url = pathToFileURL(main).href;
    const lookup = moduleExports(url);
    const path = lookup.exports === undefined ? null : findExportPath(lookup.exports, fn, hash);
    if (path) return { url, format: lookup.format, name: fn.name, path, registered: false, hash };
  }
  throw refuse(
    fn,
    role,
    '',
    `its module could not be determined (${reason})`,
    role === 'class'
      ? `export the class from the main module, or call registerClass(${fn.name || 'Cls'}) at the top level of its module`
      : 'export it from the main module, or call register(import.meta.url, { fn }) at the top level of its module',
  );
}

const loadedModules = new Map<string, Promise<unknown>>();

/** Imports (or requires) the module a reference points to; repeated calls share one load. */
export function loadModule(url: string, format: 'module' | 'commonjs'): Promise<unknown> {
  let pending = loadedModules.get(url);
  if (!pending) {
    const modules = libraryModules();
    if (modules !== null && url === LIBRARY_URL) return Promise.resolve(modules);
    pending = format === 'commonjs' ? Promise.resolve().then(() => require(fileURLToPath(url))) : importModule(url);
    loadedModules.set(url, pending);
  }
  return pending;
}

/** Child side: the function a reference names, verified against the parent's source hash. */
export async function resolveFunction(ref: FunctionRef): Promise<Function> {
  const exportsObject = await loadModule(ref.url, ref.format);
  return resolveLoadedFunction(ref, exportsObject);
}

export function resolveLoadedFunction(ref: FunctionRef, exportsObject: unknown): Function {
  const file = ref.url.startsWith('file:') ? fileURLToPath(ref.url) : ref.url;
  let found: unknown;
  if (ref.registered) {
    found = lookupRegisteredFunction(ref.url, ref.name);
  } else if (ref.path) {
    found = walk(exportsObject, ref.path);
  }
  if (typeof found !== 'function' || sourceHash(found) !== ref.hash) {
    // The path may be stale or unknown: look for the same name and source among the exports.
    const path = searchExports(exportsObject, sameSource(ref.name, ref.hash));
    found = path ? walk(exportsObject, path) : undefined;
  }
  if (typeof found !== 'function') {
    throw new PicklingError(
      `Cannot find function '${ref.name}' among the exports of ${file}: it is not exported (nor a member of ` +
        'an exported class or object), or the file changed since the parent loaded it. Fix: export it, or ' +
        `call register(import.meta.url, { ${ref.name || 'fn'} }) at the top level of its module; restart the ` +
        'parent after editing task modules.',
    );
  }
  return found;
}

function walk(root: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((holder, key) => (holder as Record<string, unknown> | undefined)?.[key], root);
}
