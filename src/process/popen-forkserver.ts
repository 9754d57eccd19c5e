/**
 * `forkserver`: V8 cannot fork, so the "server" keeps spare Node processes already booted, with
 * the package's child runtime and the preload modules imported. `start()` hands its start
 * message to a spare, so it does not pay Node's boot. Each spare serves exactly one Process.
 *
 * Spares also preload the modules of targets started recently, so the next child finds its
 * task module already imported.
 */
import type { ChildProcess } from 'node:child_process';
import { forkChildEntry, launchWith } from './popen-spawn.js';
import type { Backend, Popen, StartMessage } from './popen.js';

const LEARNED_LIMIT = 8;
const SPARES = 1;

export class ForkServerBackend implements Backend {
  readonly method = 'forkserver' as const;
  #spares: ChildProcess[] = [];
  #preload: string[] = [];
  #learned: string[] = [];
  #exitHookInstalled = false;

  /** Modules every spare imports before it is needed (CPython's `set_forkserver_preload`). */
  setPreload(modules: readonly string[]): void {
    this.#preload = [...modules];
    this.#discardSpares();
  }

  get preload(): readonly string[] {
    return this.#preload;
  }

  /** Starts the spares now, so that even the first `start()` finds one booted. */
  ensureRunning(): void {
    while (this.#spares.length < SPARES) this.#spares.push(this.#spawnSpare());
  }

  launch(message: StartMessage, daemon: boolean): Popen {
    this.#learn(message);
    const spare = this.#spares.shift() ?? this.#spawnSpare();
    const popen = launchWith(spare, message, daemon);
    // Boot the replacement once the new child has had its turn at the CPU.
    setImmediate(() => this.ensureRunning()).unref();
    return popen;
  }

  #learn(message: StartMessage): void {
    for (const { url } of message.modules) {
      if (this.#learned.includes(url)) continue;
      this.#learned.push(url);
      if (this.#learned.length > LEARNED_LIMIT) this.#learned.shift();
    }
  }

  #spawnSpare(): ChildProcess {
    this.#installExitHook();
    const modules = [...new Set([...this.#preload, ...this.#learned.map((url) => `learned:${url}`)])];
    const spare = forkChildEntry(['--spare', `--preload=${JSON.stringify(modules)}`]);
    // A spare never keeps the parent alive; it is ref'd when it becomes a non-daemon child.
    spare.unref();
    spare.channel?.unref();
    spare.once('exit', () => {
      const index = this.#spares.indexOf(spare);
      if (index >= 0) this.#spares.splice(index, 1);
    });
    return spare;
  }

  #discardSpares(): void {
    for (const spare of this.#spares.splice(0)) spare.kill('SIGKILL');
  }

  #installExitHook(): void {
    if (this.#exitHookInstalled) return;
    this.#exitHookInstalled = true;
    process.once('exit', () => this.#discardSpares());
  }
}
