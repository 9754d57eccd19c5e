/**
 * Explicit registrations: `register()` for functions that are not exported, and
 * `registerClass()` for classes whose instances should keep their prototype in other processes.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';

const functionsByModule = new Map<string, Map<string, Function>>();
const registeredFunctions = new WeakMap<Function, { url: string; name: string }>();
const registeredClasses = new Set<Function>();

/** Normalises `import.meta.url`, a file URL, or an absolute filename (CommonJS `__filename`) to a URL. */
export function toModuleUrl(moduleUrlOrFilename: string | URL): string {
  if (moduleUrlOrFilename instanceof URL) return moduleUrlOrFilename.href;
  if (typeof moduleUrlOrFilename !== 'string') {
    throw new TypeError('register(): the first argument must be import.meta.url or __filename');
  }
  if (isAbsolute(moduleUrlOrFilename)) return pathToFileURL(moduleUrlOrFilename).href;
  try {
    return new URL(moduleUrlOrFilename).href;
  } catch {
    throw new TypeError(
      `register(): '${moduleUrlOrFilename}' is neither a URL nor an absolute filename; pass import.meta.url or __filename`,
    );
  }
}

/**
 * Makes top-level functions that are not exported sendable to other processes:
 * `register(import.meta.url, { helper })`. Call it at module top level, so a child that
 * imports the module registers the same functions under the same names.
 */
export function register(moduleUrlOrFilename: string | URL, functions: Record<string, Function>): void {
  const url = toModuleUrl(moduleUrlOrFilename);
  if (typeof functions !== 'object' || functions === null) {
    throw new TypeError('register(): the second argument must be an object of { name: function }');
  }
  let table = functionsByModule.get(url);
  if (!table) functionsByModule.set(url, (table = new Map()));
  for (const [name, fn] of Object.entries(functions)) {
    if (typeof fn !== 'function') throw new TypeError(`register(): '${name}' is not a function`);
    table.set(name, fn);
    registeredFunctions.set(fn, { url, name });
  }
}

export function registeredFunction(fn: Function): { url: string; name: string } | undefined {
  return registeredFunctions.get(fn);
}

export function lookupRegisteredFunction(url: string, name: string): Function | undefined {
  return functionsByModule.get(url)?.get(name);
}

/**
 * Makes instances of `cls` arrive in other processes with their prototype (methods, getters,
 * `instanceof`). Call it at module top level; the class need not be exported.
 */
export function registerClass(cls: Function): void {
  if (typeof cls !== 'function' || !cls.prototype) {
    throw new TypeError('registerClass(): the argument must be a class');
  }
  registeredClasses.add(cls);
}

export function isRegisteredClass(cls: Function): boolean {
  return registeredClasses.has(cls);
}

export function registeredClassesNamed(name: string): Function[] {
  return [...registeredClasses].filter((cls) => cls.name === name);
}
