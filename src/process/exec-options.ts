/**
 * How children are launched: which Node binary (`setExecutable`) and which of the parent's
 * Node flags they inherit. Loaders such as `--import tsx` must reach them; debugger, test-runner,
 * watch and eval flags must not (a child would fight over the inspector port, or re-run tests).
 */
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ExitStatus } from './popen.js';

let executable = process.execPath;

/**
 * Sets the Node.js binary used to start child processes (CPython's `set_executable()`);
 * default: `process.execPath`. Children of the `'thread'` start method are not affected.
 * @param path A path or `file:` URL.
 * @category Processes
 */
export function setExecutable(path: string | URL): void {
  if (path instanceof URL) path = fileURLToPath(path);
  if (typeof path !== 'string' || path === '') throw new TypeError('setExecutable(): path must be a non-empty string');
  executable = path;
}

/** @internal */
export function getExecutable(): string {
  return executable;
}

const DROPPED_WITH_VALUE = new Set(['--eval', '-e', '--print', '-p', '--input-type', '--test-reporter', '--test-reporter-destination', '--test-name-pattern', '--test-skip-pattern', '--test-shard', '--test-concurrency', '--test-timeout', '--watch-path']);
const DROPPED_PREFIXES = ['--inspect', '--debug', '--test', '--watch', '--experimental-test', '--interactive', '-i', '--check', '-c'];

/** @internal The parent's Node flags a child inherits. */
export function childExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const flag = arg.split('=', 1)[0]!;
    if (DROPPED_WITH_VALUE.has(flag)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    if (DROPPED_PREFIXES.some((prefix) => flag === prefix || flag.startsWith(prefix + '-') || (prefix.length > 2 && flag.startsWith(prefix)))) continue;
    kept.push(arg);
  }
  return kept;
}

/**
 * CPython's exit code convention: the code for a normal exit, minus the signal number for a kill.
 * @internal
 */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): ExitStatus {
  if (signal) return { exitCode: -(constants.signals[signal] ?? 0), signal };
  return { exitCode: code ?? 0, signal: null };
}

/** @internal */
export function signalName(signum: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(constants.signals)) if (value === signum) return name as NodeJS.Signals;
  return null;
}
