/**
 * Node's heavier built-in modules, loaded on first use. Importing the package must stay cheap
 * (a program that only uses a Lock should not load net, child_process or the inspector), and a
 * child loads only what its target uses; each of these costs milliseconds to load.
 */
import { createRequire } from 'node:module';

type Builtins = {
  crypto: typeof import('node:crypto');
  net: typeof import('node:net');
  child_process: typeof import('node:child_process');
  worker_threads: typeof import('node:worker_threads');
  inspector: typeof import('node:inspector');
  v8: typeof import('node:v8');
};

const loaded: Partial<Builtins> = {};
// require() rather than process.getBuiltinModule(), which Node 21 and 22.0-22.2 lack.
const require = createRequire(import.meta.url);

function builtin<K extends keyof Builtins>(name: K): Builtins[K] {
  return (loaded[name] ??= require(`node:${name}`) as Builtins[K]);
}

export const nodeCrypto = (): Builtins['crypto'] => builtin('crypto');
export const nodeNet = (): Builtins['net'] => builtin('net');
export const nodeChildProcess = (): Builtins['child_process'] => builtin('child_process');
export const nodeWorkerThreads = (): Builtins['worker_threads'] => builtin('worker_threads');
export const nodeInspector = (): Builtins['inspector'] => builtin('inspector');
export const nodeV8 = (): Builtins['v8'] => builtin('v8');

let threadId: number | undefined;

/** This thread's `worker_threads.threadId`, read once: locks stamp it on every acquire. */
export function currentThreadId(): number {
  return (threadId ??= builtin('worker_threads').threadId);
}
