/**
 * Explicit registrations: `register()` for functions that are not exported, and
 * `registerClass()` for classes whose instances should keep their prototype in other processes.
 */
import { pathToFileURL } from 'node:url';
import { isAbsolute } from 'node:path';

const functionsByModule = new Map<string, Map<string, Function>>();
const registeredFunctions = new WeakMap<Function, { url: string; name: string }>();
const registeredClasses = new Set<Function>();

/** @internal Normalises `import.meta.url`, a file URL, or an absolute filename (CommonJS `__filename`) to a URL. */
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
 *
 * Exported top-level functions need no registration: a function is sent by reference (its
 * module and name) and the child imports its module to find it, the way pickle sends functions.
 * Closures, inline lambdas, bound functions and built-ins cannot be sent (a
 * {@link PicklingError} says why and how to fix it). A value received from another process or
 * thread may name only modules the receiving program can reach (loaded there, or under its own
 * folders or `MULTIPROCESSING_TS_MODULE_ROOTS`, as `Connection` explains); others are refused.
 * @param moduleUrlOrFilename `import.meta.url` (ES modules) or `__filename` (CommonJS).
 * @param functions The functions, by the names they are sent under.
 * @category Sending functions and classes
 * @example
 * ```ts
 * import { Pool, isMain, register } from 'multiprocessing-ts';
 *
 * function cube(x: number): number {
 *   return x * x * x;
 * }
 * register(import.meta.url, { cube }); // cube is not exported, but can be sent now
 *
 * if (isMain(import.meta)) {
 *   const pool = new Pool(2);
 *   try {
 *     console.log(await pool.map(cube, [1, 2, 3])); // [1, 8, 27]
 *   } finally {
 *     pool.close();
 *     await pool.join();
 *   }
 * }
 * ```
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

/** @internal */
export function registeredFunction(fn: Function): { url: string; name: string } | undefined {
  return registeredFunctions.get(fn);
}

/** @internal */
export function lookupRegisteredFunction(url: string, name: string): Function | undefined {
  return functionsByModule.get(url)?.get(name);
}

/**
 * Makes instances of `cls` arrive in other processes with their prototype (methods, getters,
 * `instanceof`) when the class is not exported. Call it at module top level. An exported class
 * needs no registration (it travels by a reference to its export, as pickle sends a class); an
 * instance of a class that is neither exported nor registered is refused with a PicklingError.
 * @param cls The class (its instances' own fields must be sendable values).
 * @category Sending functions and classes
 * @example
 * ```ts
 * import { Pool, isMain, registerClass } from 'multiprocessing-ts';
 *
 * export class Point {
 *   constructor(public x: number, public y: number) {}
 *   norm(): number {
 *     return Math.hypot(this.x, this.y);
 *   }
 * }
 * registerClass(Point);
 *
 * export function normOf(p: Point): number {
 *   return p.norm(); // p is a Point in the worker too
 * }
 *
 * if (isMain(import.meta)) {
 *   const pool = new Pool(1);
 *   try {
 *     console.log(await pool.apply(normOf, [new Point(3, 4)])); // 5
 *   } finally {
 *     pool.close();
 *     await pool.join();
 *   }
 * }
 * ```
 */
export function registerClass(cls: Function): void {
  if (typeof cls !== 'function' || !cls.prototype) {
    throw new TypeError('registerClass(): the argument must be a class');
  }
  registeredClasses.add(cls);
}

/** @internal */
export function isRegisteredClass(cls: Function): boolean {
  return registeredClasses.has(cls);
}

/** @internal */
export function registeredClassesNamed(name: string): Function[] {
  return [...registeredClasses].filter((cls) => cls.name === name);
}
