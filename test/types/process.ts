// Compile-time checks of the public API's types: `tsc -p test/types` must pass, and every
// `@ts-expect-error` line must really be an error (tsc fails on an unused one).
import {
  Process,
  getContext,
  isMain,
  register,
  registerClass,
  currentProcess,
  parentProcess,
  type StartMethod,
  ProcessError,
  PicklingError,
  getLogger,
  logToStderr,
  INFO,
} from '../../dist/index.js';

export function square(x: number): number {
  return x * x;
}

const p = new Process({ target: square, args: [3] });
// @ts-expect-error args must match the target's parameters
new Process({ target: square, args: ['three'] });
// @ts-expect-error name is a string
new Process({ target: square, args: [1], name: 5 });

p.start();
const joined: Promise<void> = p.join({ timeout: 100 });
p.joinSync();
const code: number | null = p.exitCode;
const pid: number | null = p.pid;
const alive: boolean = p.isAlive();
const key: Buffer = p.authkey;
const method: StartMethod | null = getContext('thread').getStartMethod();
// @ts-expect-error 'fork' is not a start method
getContext('fork');

class Worker extends Process {
  label = 'x';
  override run(): Promise<void> {
    return Promise.resolve();
  }
}
const w: Process = new Worker();
const ctxProcess = new (getContext('forkserver').Process)({ target: square, args: [2] });

register(import.meta.url, { square });
registerClass(Worker);
const main: boolean = isMain(import.meta);
const me: string = currentProcess().name;
const parentPid: number | undefined = parentProcess()?.pid;
const err: string = new PicklingError('x').code;
const base: ProcessError = new PicklingError('y');
logToStderr(INFO).info('%s', 'ok');
getLogger().setLevel('DEBUG');

export { joined, code, pid, alive, key, method, w, ctxProcess, main, me, parentPid, err, base };
