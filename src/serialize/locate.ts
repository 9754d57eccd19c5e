/**
 * Where a function object was defined, read through an in-process inspector session
 * (`[[FunctionLocation]]`, `[[Scopes]]`, `[[TargetFunction]]`). Session calls complete
 * synchronously on the calling thread, so `Process.start()` can stay synchronous.
 */
import { nodeInspector } from '../internal/builtins.js';
import type { Session } from 'node:inspector';

export interface FunctionLocation {
  /** URL of the defining script: `file:///...`, `node:...`, or '' for eval'd code. */
  url: string;
  /** 1-based line and column, for messages. */
  line: number;
  column: number;
  /** Scope chain kinds, innermost first: e.g. ['Module', 'Global'] or ['Closure', 'Module', 'Global']. */
  scopes: string[];
}

export type LocateResult =
  | { kind: 'located'; location: FunctionLocation }
  /** A bound function; `target` is where the function it wraps is defined (null: a built-in). */
  | { kind: 'bound'; target: FunctionLocation | null }
  | { kind: 'native' }
  | { kind: 'unavailable'; reason: string };

const PROBE_KEY = Symbol.for('multiprocessing-ts.locate-probe');
const PROBE_EXPRESSION = `globalThis[Symbol.for('multiprocessing-ts.locate-probe')]`;
const OBJECT_GROUP = 'multiprocessing-ts';

interface RemoteObject { objectId?: string; description?: string; value?: unknown }
interface InternalProperty { name: string; value?: RemoteObject }
interface PropertiesResult { result: Array<{ name: string; value?: RemoteObject }>; internalProperties?: InternalProperty[] }

let session: Session | null = null;
let sessionError: string | null = null;
const scriptUrls = new Map<string, string>();
/** URLs of the scripts and modules seen loaded in this thread. */
const loadedUrls = new Set<string>();

/** Runs one inspector command and returns its result; in-process sessions answer synchronously. */
function post<T>(method: string, params?: object): T {
  let outcome: { error: Error | null; result: T } | undefined;
  session!.post(method, params ?? {}, (error: Error | null, result?: object) => {
    outcome = { error, result: result as T };
  });
  if (!outcome) throw new Error(`inspector did not answer ${method} synchronously`);
  if (outcome.error) throw outcome.error;
  return outcome.result;
}

function ensureSession(): boolean {
  if (session) return true;
  if (sessionError !== null) return false;
  try {
    const s = new (nodeInspector().Session)();
    s.connect();
    s.on('Debugger.scriptParsed', (message: { params: { scriptId: string; url: string } }) => {
      scriptUrls.set(message.params.scriptId, message.params.url);
      loadedUrls.add(message.params.url);
    });
    session = s;
    return true;
  } catch (error) {
    sessionError = (error as Error).message;
    return false;
  }
}

/**
 * Maps a script id to its URL. Enabling the debugger replays every loaded script, and is
 * turned off again at once: left on, it slows compilation of new code about threefold.
 */
function urlOfScript(scriptId: string): string | undefined {
  if (!scriptUrls.has(scriptId)) {
    post('Debugger.enable');
    post('Debugger.disable');
  }
  return scriptUrls.get(scriptId);
}

/**
 * Whether a script or module with this URL is loaded in this thread (so importing it again runs
 * nothing). False when the inspector is unavailable.
 */
export function scriptLoaded(url: string): boolean {
  if (loadedUrls.has(url)) return true;
  if (!ensureSession()) return false;
  try {
    post('Debugger.enable');
    post('Debugger.disable');
  } catch {
    return false;
  }
  return loadedUrls.has(url);
}

function properties(objectId: string): PropertiesResult {
  return post<PropertiesResult>('Runtime.getProperties', { objectId, ownProperties: true });
}

/** Reads the location of the function behind `objectId`, following bound functions to their target. */
function describe(objectId: string): LocateResult {
  const internal = properties(objectId).internalProperties ?? [];
  const targetId = internal.find((p) => p.name === '[[TargetFunction]]')?.value?.objectId;
  if (targetId) {
    const target = describe(targetId);
    return { kind: 'bound', target: target.kind === 'located' ? target.location : target.kind === 'bound' ? target.target : null };
  }
  const where = internal.find((p) => p.name === '[[FunctionLocation]]')?.value?.value as
    | { scriptId: string; lineNumber: number; columnNumber: number }
    | undefined;
  if (!where) return { kind: 'native' };
  const scopesId = internal.find((p) => p.name === '[[Scopes]]')?.value?.objectId;
  const scopes = scopesId
    ? properties(scopesId).result.map((entry) => (entry.value?.description ?? '').split(' ')[0] ?? '')
    : [];
  return {
    kind: 'located',
    location: {
      url: urlOfScript(where.scriptId) ?? '',
      line: where.lineNumber + 1,
      column: where.columnNumber + 1,
      scopes,
    },
  };
}

/**
 * Runs `inspect` with `value` as a remote object of the session (its object id); returns
 * `fallback(reason)` when the inspector is unavailable or fails.
 */
function withRemote<T>(value: unknown, fallback: (reason: string) => T, inspect: (objectId: string) => T): T {
  if (!ensureSession()) return fallback(sessionError ?? 'inspector unavailable');
  const holder = globalThis as Record<symbol, unknown>;
  holder[PROBE_KEY] = value;
  try {
    const evaluated = post<{ result: RemoteObject }>('Runtime.evaluate', {
      expression: PROBE_EXPRESSION,
      objectGroup: OBJECT_GROUP,
      silent: true,
    });
    const objectId = evaluated.result.objectId;
    return objectId ? inspect(objectId) : fallback('inspector returned no object id');
  } catch (error) {
    return fallback((error as Error).message);
  } finally {
    delete holder[PROBE_KEY];
    try {
      post('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP });
    } catch {
      // The session may be gone if the error above came from it; nothing left to release then.
    }
  }
}

export function locateFunction(fn: Function): LocateResult {
  if (!ensureSession()) return { kind: 'unavailable', reason: sessionError ?? 'inspector unavailable' };
  const unavailable = (reason: string): LocateResult => ({ kind: 'unavailable', reason });
  return withRemote<LocateResult>(fn, unavailable, (objectId) => {
    try {
      return describe(objectId);
    } catch (error) {
      return unavailable((error as Error).message);
    }
  });
}

/**
 * The names of the private members (`#state`) of an object, [] if none (or if the inspector is
 * unavailable). A copy of its own properties would arrive without them.
 */
export function privateMembers(object: object): string[] {
  return withRemote(object, () => [], (objectId) => {
    const found = post<{ privateProperties?: Array<{ name: string }> }>('Runtime.getProperties', { objectId, ownProperties: true });
    return (found.privateProperties ?? []).map((member) => member.name);
  });
}

/** True (in the probed function's realm) when `this` is the probed function or holds it as an own data property. */
const HOLDS_PROBE = `function () {
  const probe = globalThis[Symbol.for('multiprocessing-ts.locate-probe')];
  if (this === probe) return true;
  for (const key of Object.getOwnPropertyNames(this)) {
    if (Object.getOwnPropertyDescriptor(this, key)?.value === probe) return true;
  }
  return false;
}`;

/**
 * The top-level bindings of the module that defines `fn` which hold it: the function itself, or
 * an object or class that has it as an own property (a method of an object literal, a static
 * method). Read from the module scope, so it works while the module is still evaluating (its
 * namespace cannot be read yet); null when that scope cannot be read.
 */
export function moduleBindingsHolding(fn: Function): string[] | null {
  return withRemote<string[] | null>(fn, () => null, (objectId) => {
    const internal = properties(objectId).internalProperties ?? [];
    const scopesId = internal.find((p) => p.name === '[[Scopes]]')?.value?.objectId;
    if (!scopesId) return null;
    const moduleScope = properties(scopesId).result.find((entry) => (entry.value?.description ?? '').startsWith('Module'));
    const scopeId = moduleScope?.value?.objectId;
    if (!scopeId) return null;
    const names: string[] = [];
    for (const binding of properties(scopeId).result) {
      const bindingId = binding.value?.objectId;
      if (!bindingId) continue;
      const answer = post<{ result: RemoteObject }>('Runtime.callFunctionOn', {
        objectId: bindingId,
        functionDeclaration: HOLDS_PROBE,
        returnByValue: true,
        silent: true,
      });
      if (answer.result.value === true) names.push(binding.name);
    }
    return names;
  });
}
