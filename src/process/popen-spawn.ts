/** `spawn`: a fresh Node.js process per Process, as CPython's popen_spawn_posix. */
import { nodeChildProcess } from '../internal/builtins.js';
import type { ChildProcess } from 'node:child_process';
import { addonPathForChildren } from '../internal/native.js';
import { distPath } from '../internal/paths.js';
import { childExecArgv, getExecutable } from './exec-options.js';
import { ChildProcessPopen } from './popen-child.js';
import type { Backend, BeforeStart, Popen, StartMessage } from './popen.js';

export const CHILD_ENTRY = distPath('child/process-entry.js');

/** Starts the child entry; `extraArgs` tell it what to do before it waits for its start message. */
export function forkChildEntry(extraArgs: string[]): ChildProcess {
  const addon = addonPathForChildren();
  const args = [`--parent-pid=${process.pid}`, ...(addon ? [`--addon=${addon}`] : []), ...extraArgs];
  return nodeChildProcess().fork(CHILD_ENTRY, args, {
    execPath: getExecutable(),
    execArgv: childExecArgv(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
}

export function launchWith(child: ChildProcess, message: StartMessage, daemon: boolean, beforeStart?: BeforeStart): Popen {
  if (beforeStart && child.pid !== undefined) {
    // Every thread the child has now (a spare has all of Node's), while it waits for its message.
    try {
      beforeStart({ id: child.pid, wholeProcess: true });
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  }
  const popen = new ChildProcessPopen(child);
  child.send(message);
  popen.setRef(!daemon);
  return popen;
}

export class SpawnBackend implements Backend {
  readonly method = 'spawn' as const;

  launch(message: StartMessage, daemon: boolean, _transfer: unknown, beforeStart?: BeforeStart): Popen {
    return launchWith(forkChildEntry([]), message, daemon, beforeStart);
  }
}
