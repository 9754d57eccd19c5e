/**
 * Entry of spawn and forkserver children. Arms the parent-death signal first (a child must
 * never outlive its parent, even one killed with SIGKILL), then, as a forkserver spare,
 * imports the preload modules, and waits for its start message.
 */
import * as nodeModule from 'node:module';
import { constants } from 'node:os';
import { native, useAddonFoundByParent } from '../internal/native.js';
import type { StartMessage } from '../process/popen.js';

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

/** Node >= 22.1 only; undefined on Node 20. */
const { enableCompileCache } = nodeModule as { enableCompileCache?: () => unknown };

const parentPid = Number(option('parent-pid'));
useAddonFoundByParent(option('addon'));
if (native().setParentDeathSignal(constants.signals.SIGKILL) !== parentPid) {
  // The parent died before the signal was armed: nobody is left to serve.
  process.exit(1);
}
// Also covers parents that close the channel without dying (and platforms without the signal).
process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));

// Node reserves SIGUSR1 to open its inspector. A child dies of it, as of any signal whose
// default action is to terminate (exit code -10), unless the task listens for it itself.
function dieOfSigusr1(): void {
  if (process.listenerCount('SIGUSR1') > 1) return;
  process.off('SIGUSR1', dieOfSigusr1);
  process.kill(process.pid, 'SIGUSR1');
}
process.on('SIGUSR1', dieOfSigusr1);

// The program's modules load again in every child: Node's own code cache (Node >= 22.1) saves
// compiling them again each time. The library itself comes with its own cache (load-library.ts).
if (process.env.MULTIPROCESSING_TS_CODE_CACHE !== '0') enableCompileCache?.();

const runtime = import('./run.js');

async function preload(modules: string[]): Promise<void> {
  if (modules.length === 0) return;
  const { markAsChild, whileBootstrapping } = await import('../process/state.js');
  const { getLogger } = await import('../logging.js');
  // Preloaded modules run in a child: isMain() is false there and starting processes is refused.
  // The start message replaces this provisional identity with the real one.
  markAsChild(
    { name: 'ForkServer', identity: [], daemon: false, authkey: Buffer.alloc(0), startMethod: 'forkserver' },
    { name: 'MainProcess', pid: parentPid, sameProcess: false },
  );
  await whileBootstrapping(async () => {
    for (const specifier of modules) {
      try {
        await import(specifier);
      } catch (error) {
        // As CPython's forkserver: a preload that fails to import is skipped, not fatal.
        getLogger().debug('forkserver preload of %s failed: %s', specifier, (error as Error).message);
      }
    }
  });
}

const spare = process.argv.includes('--spare');
const ready = spare ? preload(JSON.parse(option('preload') ?? '[]') as string[]) : Promise.resolve();
if (spare) {
  // Tell the forkserver this spare is booted, so it is chosen before ones still booting.
  void Promise.all([runtime, ready]).then(() => process.send?.({ type: 'mp:ready' }));
}

process.once('message', (message: StartMessage) => {
  if (message?.type !== 'mp:start') process.exit(1);
  // The channel stays open only to notice the parent's death; it must not keep the child alive.
  process.channel?.unref();
  if (message.prep.cwd !== process.cwd()) {
    try {
      process.chdir(message.prep.cwd);
    } catch {
      // The parent's directory may be gone; the child keeps its own.
    }
  }
  void Promise.all([runtime, ready]).then(([{ runChild }]) => runChild(message, { sameProcess: false }));
});
