/**
 * Popen over an OS child process (spawn and forkserver). libuv reaps the child and reports its
 * exit; the native addon lets `poll()` and `waitSync()` see the exit earlier without reaping.
 */
import type { ChildProcess } from 'node:child_process';
import { hasErrno, native } from '../internal/native.js';
import { exitStatus, signalName } from './exec-options.js';
import type { ChildThreads, ExitStatus, Popen } from './popen.js';

export class ChildProcessPopen implements Popen {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  #child: ChildProcess;
  #status: ExitStatus | null = null;

  constructor(child: ChildProcess) {
    if (child.pid === undefined) throw new Error('the child process did not start');
    this.pid = child.pid;
    this.#child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#status = exitStatus(code, signal);
        resolve(this.#status);
      });
    });
    // The IPC channel only carries the start message; it must never keep the parent alive.
    child.channel?.unref();
  }

  poll(): ExitStatus | null {
    if (this.#status) return this.#status;
    let peeked;
    try {
      peeked = native().peekExit(this.pid);
    } catch (error) {
      // libuv reaps every ended child in one batch, then emits their 'exit' events one by one:
      // code running between those events finds this child already reaped. Its status arrives
      // with its own 'exit' event, in the same batch.
      if (hasErrno(error, 'ECHILD')) return null;
      throw error;
    }
    if (!peeked) return null;
    return peeked.signal ? exitStatus(null, signalName(peeked.signal)) : exitStatus(peeked.code, null);
  }

  waitSync(timeoutMs: number): ExitStatus | null {
    if (this.poll() === null) {
      try {
        native().waitExitSync(this.pid, timeoutMs);
      } catch (error) {
        // Already reaped by libuv (see poll()): the status comes with the 'exit' event.
        if (!hasErrno(error, 'ESRCH')) throw error;
      }
    }
    return this.poll();
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.#status === null) this.#child.kill(signal);
  }

  terminate(): void {
    this.#signal('SIGTERM');
  }

  kill(): void {
    this.#signal('SIGKILL');
  }

  interrupt(): void {
    this.#signal('SIGINT');
  }

  setRef(ref: boolean): void {
    if (ref) this.#child.ref();
    else this.#child.unref();
  }

  schedTarget(): ChildThreads {
    return { id: this.pid, wholeProcess: true };
  }

  close(): void {
    if (this.#child.connected) this.#child.disconnect();
    this.#child.removeAllListeners();
  }
}
