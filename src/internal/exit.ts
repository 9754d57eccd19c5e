/**
 * What runs when this process or thread exits: CPython's `util.Finalize` with an `exitpriority`,
 * run by `_exit_function`. Hooks run once each, the highest priority first and, within one
 * priority, the one registered last first (so what was set up later is torn down earlier). Only
 * synchronous work can happen at that point ('exit' allows no more turns of the event loop).
 *
 * One listener on `process` serves every hook, added with the first one: how many objects
 * register never shows in `process.listenerCount('exit')`.
 */

/** The order hooks of the library run in: the shutdown record first, the removal of the temporary directory last. */
export const ExitPriority = {
  /** The "process shutting down" log record (CPython's `_exit_function` writes it first). */
  announce: 100,
  /** Messages a connection gathered for the end of a burst of JS, written before anything is released. */
  flush: 50,
  /** Releasing what this process owns: listener sockets, spare children. */
  release: 0,
  /** Terminating daemon children, after the hooks of priority 0 and above, as CPython's `_exit_function`. */
  daemons: -50,
  /** The per-process temporary directory (CPython registers its removal with priority -100). */
  tempDir: -100,
} as const;

interface Hook {
  readonly run: () => void;
  readonly priority: number;
  readonly order: number;
}

const hooks = new Set<Hook>();
let registered = 0;
let listening = false;
let ran = false;

/**
 * Runs `hook` when the process exits, at `priority` (higher first; see ExitPriority). Returns a
 * function that unregisters it. A hook registered while the hooks run, or after, never runs.
 */
export function atExit(hook: () => void, priority: number = ExitPriority.release): () => void {
  const entry: Hook = { run: hook, priority, order: registered++ };
  if (!ran) hooks.add(entry);
  if (!listening) {
    listening = true;
    process.once('exit', runExitHooks);
  }
  return () => {
    hooks.delete(entry);
  };
}

/**
 * Runs every registered hook once, in order. A hook that throws does not keep the later ones from
 * running; the first error is thrown again once all have run, as an 'exit' listener's would be.
 */
function runExitHooks(): void {
  ran = true;
  const order = [...hooks].sort((a, b) => b.priority - a.priority || b.order - a.order);
  hooks.clear();
  let failure: { error: unknown } | undefined;
  for (const hook of order) {
    try {
      hook.run();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}
