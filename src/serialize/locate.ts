/**
 * Where a function object was defined, read through an in-process inspector session
 * (`[[FunctionLocation]]`, `[[Scopes]]`, `[[TargetFunction]]`). Session calls complete
 * synchronously on the calling thread, so `Process.start()` can stay synchronous.
 */
import { Session } from 'node:inspector';

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
    const s = new Session();
    s.connect();
    s.on('Debugger.scriptParsed', (message: { params: { scriptId: string; url: string } }) => {
      scriptUrls.set(message.params.scriptId, message.params.url);
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

export function locateFunction(fn: Function): LocateResult {
  if (!ensureSession()) return { kind: 'unavailable', reason: sessionError ?? 'inspector unavailable' };
  const holder = globalThis as Record<symbol, unknown>;
  holder[PROBE_KEY] = fn;
  try {
    const evaluated = post<{ result: RemoteObject }>('Runtime.evaluate', {
      expression: PROBE_EXPRESSION,
      objectGroup: OBJECT_GROUP,
      silent: true,
    });
    const objectId = evaluated.result.objectId;
    if (!objectId) return { kind: 'unavailable', reason: 'inspector returned no object id' };
    return describe(objectId);
  } catch (error) {
    return { kind: 'unavailable', reason: (error as Error).message };
  } finally {
    delete holder[PROBE_KEY];
    try {
      post('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP });
    } catch {
      // The session may be gone if the error above came from it; nothing left to release then.
    }
  }
}
