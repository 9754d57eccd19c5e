/**
 * Instances of classes made sendable with `registerClass()` travel with a reference to their
 * class (defining module URL + name); the receiver imports that module, which registers the
 * same class again, and restores the prototype.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PicklingError } from '../errors.js';
import { locateFunction } from './locate.js';
import { registeredClassesNamed } from './registry.js';
import { refuseTestFile } from './function-ref.js';
import { registersTests } from './test-file.js';

export interface ClassRef {
  url: string;
  format: 'module' | 'commonjs';
  name: string;
}

const require = createRequire(import.meta.url);
const refs = new WeakMap<Function, ClassRef>();

function urlOf(cls: Function): string | undefined {
  const located = locateFunction(cls);
  return located.kind === 'located' ? located.location.url : undefined;
}

export function classRef(cls: Function): ClassRef {
  let ref = refs.get(cls);
  if (ref) return ref;
  const url = urlOf(cls);
  if (!url || !url.startsWith('file:')) {
    throw new PicklingError(
      `Cannot send an instance of class '${cls.name}': its module could not be found. ` +
        'Fix: define the class at the top level of a module file and call registerClass() there.',
    );
  }
  if (registersTests(url)) throw refuseTestFile(cls, 'class', url);
  const cached = require.cache[fileURLToPath(url)];
  const isCommonJs = cached !== undefined && (cached.exports as Record<PropertyKey, unknown>)?.[Symbol.toStringTag] !== 'Module';
  ref = { url, format: isCommonJs ? 'commonjs' : 'module', name: cls.name };
  refs.set(cls, ref);
  return ref;
}

export function resolveClass(ref: ClassRef): Function {
  const candidates = registeredClassesNamed(ref.name);
  const found = candidates.length === 1 ? candidates[0] : candidates.find((cls) => urlOf(cls) === ref.url);
  if (!found) {
    throw new PicklingError(
      `Cannot rebuild an instance of class '${ref.name}' from ${ref.url}: the class is not registered here. ` +
        'Fix: call registerClass() at the top level of the module that defines it.',
    );
  }
  return found;
}
