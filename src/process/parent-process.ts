/**
 * `parentProcess()`: what a child can see of the process that started it (CPython's
 * _ParentProcess): its name and pid, whether it is alive, and a join that waits for its end.
 */
import { native } from '../internal/native.js';
import { checkOptionsObject, validateTimeout } from '../internal/validate.js';
import { childMark } from './state.js';

/**
 * What a child sees of the process that started it, as {@link parentProcess} returns it
 * (CPython's `_ParentProcess`): its name and pid, whether it is alive, and a join that waits for
 * its end.
 * @category Processes
 */
export class ParentProcess {
  /** The parent's name (`'MainProcess'` for the main process). */
  readonly name: string;
  /** The parent's process id (this process's own for a `'thread'` child). */
  readonly pid: number;
  readonly #sameProcess: boolean;

  /** @internal Parents come from {@link parentProcess}. */
  constructor(name: string, pid: number, sameProcess: boolean) {
    this.name = name;
    this.pid = pid;
    this.#sameProcess = sameProcess;
  }

  /** Alias of `pid`, as CPython's `ident`. */
  get ident(): number {
    return this.pid;
  }

  /** A child process is re-parented when its parent dies; a thread's parent lives as long as it does. */
  isAlive(): boolean {
    if (this.#sameProcess) return true;
    return native().getParentPid() === this.pid;
  }

  /** Resolves when the parent ends (the IPC channel to it closes) or after `timeout` ms. */
  async join(options?: { timeout?: number | null }): Promise<void> {
    const timeout = validateTimeout(checkOptionsObject(options, 'ParentProcess.join()', 'timeout', '{ timeout }')?.timeout);
    if (!this.isAlive() || this.#sameProcess) {
      if (this.#sameProcess && timeout !== null) await new Promise((resolve) => setTimeout(resolve, timeout));
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = timeout === null ? undefined : setTimeout(done, timeout);
      function done(): void {
        clearTimeout(timer);
        process.off('disconnect', done);
        resolve();
      }
      process.once('disconnect', done);
    });
  }

  /** CPython's repr: `<ParentProcess name='MainProcess' pid=1200 started>`. */
  toString(): string {
    return `<ParentProcess name='${this.name}' pid=${this.pid} ${this.isAlive() ? 'started' : 'stopped'}>`;
  }
}

let parent: ParentProcess | null = null;

/**
 * The parent of this process, or null in the main process (CPython's `parent_process()`).
 * @category Processes
 */
export function parentProcess(): ParentProcess | null {
  const mark = childMark();
  if (!mark) return null;
  // Rebuilt when the mark changes: a forkserver spare learns its real parent only at start.
  if (parent?.pid !== mark.parent.pid || parent.name !== mark.parent.name) {
    parent = new ParentProcess(mark.parent.name, mark.parent.pid, mark.parent.sameProcess);
  }
  return parent;
}
