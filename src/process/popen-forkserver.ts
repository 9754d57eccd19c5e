/**
 * `forkserver`: V8 cannot fork, so the "server" keeps spare Node processes already booted
 * (see SparePool). `start()` hands its start message to a spare, so it does not pay Node's boot.
 */
import type { ChildProcess } from 'node:child_process';
import { forkChildEntry, launchWith } from './popen-spawn.js';
import type { Backend, BeforeStart, Popen, StartMessage } from './popen.js';
import { SparePool, type Spare } from './spare-pool.js';

class SpareProcess implements Spare {
  ready = false;
  readonly child: ChildProcess;

  constructor(modules: string[]) {
    this.child = forkChildEntry(['--spare', `--preload=${JSON.stringify(modules)}`]);
    // A spare never keeps the parent alive; it is ref'd when it becomes a non-daemon child.
    // (An explicit unref also stops the 'message' listener below from holding the channel.)
    this.child.unref();
    this.child.channel?.unref();
    this.child.once('message', () => {
      this.ready = true;
    });
  }

  onReady(callback: () => void): void {
    this.child.once('message', callback);
  }

  onExit(callback: () => void): void {
    this.child.once('exit', callback);
  }

  discard(): void {
    this.child.kill('SIGKILL');
  }
}

export class ForkServerBackend implements Backend {
  readonly method = 'forkserver' as const;
  readonly #pool = new SparePool((modules) => new SpareProcess(modules));

  /** Modules every spare imports in advance (CPython's `set_forkserver_preload`). */
  setPreload(modules: readonly string[]): void {
    this.#pool.setPreload(modules);
  }

  get preload(): readonly string[] {
    return this.#pool.preload;
  }

  /** Boots the spares now, so that even the first `start()` finds one ready. */
  ensureRunning(): void {
    this.#pool.fill();
  }

  get spares(): SparePool<Spare> {
    return this.#pool;
  }

  launch(message: StartMessage, daemon: boolean, _transfer: unknown, beforeStart?: BeforeStart): Popen {
    // The spare's own listener stays until it booted: the pool counts the boots in flight.
    const spare = this.#pool.take();
    return launchWith(spare.child, message, daemon, beforeStart);
  }
}
