/**
 * The native addon, built at install time by node-gyp. It supplies what Node cannot:
 * the parent-death signal and non-reaping exit checks (and, later, shared memory and futexes).
 */
import { createRequire } from 'node:module';

export interface NativeAddon {
  /** Arms PR_SET_PDEATHSIG; returns the parent pid seen afterwards. */
  setParentDeathSignal(signal: number): number;
  getParentPid(): number;
  /** The child's exit status if it has ended (without reaping it), else null. */
  peekExit(pid: number): { code: number; signal: number } | null;
  /** Blocks until the child ends (true) or the timeout passes (false); timeoutMs < 0 waits forever. */
  waitExitSync(pid: number, timeoutMs: number): boolean;
}

const require = createRequire(import.meta.url);
let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (!addon) {
    try {
      addon = require('../../build/Release/mp_native.node') as NativeAddon;
    } catch (error) {
      throw new Error(
        'multiprocessing-ts: the native addon is not built (build/Release/mp_native.node). ' +
          'Run `npm rebuild multiprocessing-ts` (needs python3, make and a C++ compiler).',
        { cause: error },
      );
    }
  }
  return addon;
}
