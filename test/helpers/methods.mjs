// The start-method matrix: a behaviour is written once and run on every start method it applies to,
// as CPython's suite installs each test class for processes, threads and managers.
//
// Without the native addon (MULTIPROCESSING_TS_NATIVE=0: `npm run test:no-addon`) only the thread
// context works: forEachMethod runs only 'thread', and a test that needs the addon says so itself
// with the `needsAddon` option.
import { afterEach, describe } from 'node:test';
import { getContext } from '../../dist/index.js';
import { hasNative } from '../../dist/internal/native.js';

/** True when the suite runs without the native addon: threads only. */
export const NO_ADDON = !hasNative();

/**
 * Test option for what needs the native addon (processes, sockets, Listener/Client, /dev/shm,
 * the resource tracker, Python): `test(name, needsAddon, fn)` or `{ ...needsAddon, timeout }`.
 */
export const needsAddon = { skip: NO_ADDON && 'needs the native addon' };

/** The start methods that can start children here. */
export const ALL_METHODS = runnableMethods(['spawn', 'forkserver', 'thread']);
export const PROCESS_METHODS = runnableMethods(['spawn', 'forkserver']);

/** The methods of `methods` that can start children here: all of them, or only 'thread' without the addon. */
export function runnableMethods(methods) {
  return NO_ADDON ? methods.filter((method) => method === 'thread') : methods;
}

/** Runs `body(ctx, method)` inside a describe block per start method (only 'thread' without the addon). */
export function forEachMethod(body, methods = ALL_METHODS) {
  for (const method of runnableMethods(methods)) {
    describe(method, () => body(getContext(method), method));
  }
}

/** Rejects if `promise` does not settle within `ms`: a hang becomes a failure with a message. */
export async function within(promise, ms, what = 'operation') {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ends every process still running, so a failing test leaves nothing behind. */
export async function cleanup(processes) {
  for (const p of processes) {
    try {
      if (p.isAlive()) p.kill();
      await within(p.join(), 10_000, `join of ${p.name}`);
    } catch {
      // already closed or never started
    }
  }
}

/**
 * For a test file whose tests start processes: `start(ctx, target, args)` starts one and
 * remembers it, every test's processes are cleaned up after it, and `join(p, ms)` joins within a
 * bound. Call once at the top of the file.
 */
export function processStarter() {
  const started = [];
  afterEach(() => cleanup(started.splice(0)));
  return {
    start(ctx, target, args) {
      const p = new ctx.Process({ target, args });
      started.push(p);
      p.start();
      return p;
    },
    join: (p, ms = 20_000) => within(p.join(), ms, `join of ${p.name}`),
  };
}
