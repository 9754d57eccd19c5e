/**
 * Which methods of an object its proxies may call: the registered list, or else its public
 * methods, as CPython's `public_methods()` (names not starting with `_`; `constructor` and `then`
 * never: a proxy must not look like a Promise).
 */
const NEVER = new Set(['constructor', 'then']);

/** The public methods of `obj`: own and inherited, up to (not including) Object.prototype. */
export function publicMethods(obj: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = obj; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name.startsWith('_') || NEVER.has(name) || names.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(o, name);
      if (descriptor && typeof descriptor.value === 'function') names.add(name);
    }
  }
  return [...names];
}

/** @internal Checks a `register()` option: a list of method names a proxy may call. */
export function checkExposed(exposed: unknown, typeid: string): readonly string[] | undefined {
  if (exposed === undefined || exposed === null) return undefined;
  if (!Array.isArray(exposed) || exposed.some((name) => typeof name !== 'string' || name === '')) {
    throw new TypeError(`register('${typeid}'): exposed must be an array of method names`);
  }
  for (const name of exposed as string[]) {
    if (NEVER.has(name)) throw new TypeError(`register('${typeid}'): '${name}' cannot be exposed (a proxy must not look like a Promise or a class)`);
  }
  return Object.freeze([...(exposed as string[])]);
}

/** @internal Checks a `register()` option: which methods' results are served as objects of which typeid. */
export function checkMethodToTypeid(value: unknown, typeid: string): Readonly<Record<string, string>> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`register('${typeid}'): methodToTypeid must be an object like { method: 'Typeid' }`);
  }
  const out: Record<string, string> = {};
  for (const [method, target] of Object.entries(value)) {
    if (typeof target !== 'string' || target === '') {
      throw new TypeError(`register('${typeid}'): methodToTypeid.${method} must be a typeid (a non-empty string)`);
    }
    out[method] = target;
  }
  return Object.freeze(out);
}
