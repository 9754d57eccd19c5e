/**
 * The child runtime shared by process and thread children: take on the identity the parent
 * chose, import what the target needs (refusing to start processes meanwhile), run it, and
 * end as CPython's children do: uncaught errors are printed as `Process <name>:` and give
 * exit code 1, and non-daemon children are waited for first.
 */
import { inspect } from 'node:util';
import { applyLogSettings, getLogger } from '../logging.js';
import { decode, prepareDecode } from '../serialize/codec.js';
import { adoptProgramModuleRoots } from '../serialize/module-trust.js';
import '../shareables.js';
import { adoptAsCurrent, nonDaemonChildren, Process, type Target } from '../process/process.js';
import type { StartMessage } from '../process/popen.js';
import { markAsChild, whileBootstrapping } from '../process/state.js';
import { setDefaultStartMethod } from '../process/start-method.js';
import { setInheritedTracker } from '../resource-tracker/client.js';
import { adoptLocalBlocks } from '../shared/local-blocks.js';
import { cacheWhatBootCompiled } from '../internal/library.js';

let failing = false;

async function waitForChildren(): Promise<void> {
  for (let pending = nonDaemonChildren(); pending.length > 0; pending = nonDaemonChildren()) {
    await Promise.all(pending.map((child) => child.join()));
  }
}

function describe(error: unknown): string {
  if (error instanceof Error && typeof error.stack === 'string') {
    const extra = inspect(error).split('\n').slice(error.stack.split('\n').length).join('\n');
    return extra.trim() ? `${error.stack}\n${extra}` : error.stack;
  }
  return inspect(error);
}

/** Prints the failure the CPython way and exits with 1 once non-daemon children are done. */
export function failChild(name: string, error: unknown, exit: (code: number) => void): void {
  if (failing) return;
  failing = true;
  process.stderr.write(`Process ${name}:\n${describe(error)}\n`, () => {
    const end = (): void => {
      getLogger().info('process exiting with exitcode 1');
      exit(1);
    };
    waitForChildren().then(end, end);
  });
}

/** Makes process.env the parent's as of start() (a spare was booted with an older copy). */
function adoptEnvironment(env: Record<string, string>): void {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  Object.assign(process.env, env);
}

export async function runChild(message: StartMessage, options: { sameProcess: boolean }): Promise<void> {
  const { prep, payload, modules } = message;
  markAsChild(
    {
      name: prep.name,
      identity: prep.identity,
      daemon: prep.daemon,
      authkey: Buffer.from(prep.authkey),
      startMethod: prep.startMethod,
    },
    { name: prep.parentName, pid: prep.parentPid, sameProcess: options.sameProcess },
  );
  applyLogSettings(prep.log);
  setInheritedTracker(prep.resourceTracker);
  adoptLocalBlocks(prep.sharedMemory);
  adoptEnvironment(prep.env);
  // Values this child receives from peers may name modules of the program that started it.
  adoptProgramModuleRoots(prep.moduleRoots);
  // As CPython's children: the default context is the one this process was started with.
  setDefaultStartMethod(prep.startMethod, true);
  const exit = (code: number): never => process.exit(code);
  const onFailure = (error: unknown): void => failChild(prep.name, error, exit);
  process.on('uncaughtException', onFailure);
  process.on('unhandledRejection', onFailure);

  let processObject: Process;
  try {
    processObject = await whileBootstrapping(async () => {
      await prepareDecode(modules, 'parent');
      const from = options.sameProcess ? 'thread' : 'process';
      if (payload.kind === 'target') {
        const target = decode(payload.target, from) as Target | null;
        const args = decode(payload.args, from) as unknown[];
        const p = Object.create(Process.prototype) as Process;
        adoptAsCurrent(p, { target, args });
        return p;
      }
      const cls = decode(payload.cls, from) as new () => Process;
      const { fields, target, args } = decode(payload.state, from) as { fields: object; target: Target | null; args: unknown[] };
      const p = Object.assign(Object.create(cls.prototype) as Process, fields);
      adoptAsCurrent(p, { target, args });
      return p;
    });
  } catch (error) {
    onFailure(error);
    return;
  }
  getLogger().info('child process calling self.run()');
  cacheWhatBootCompiled();
  // An async target is awaited even when what it waits for does not hold the event loop
  // (an unref'd timer, a promise settled from another thread): the child ends after run() does.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1);
  try {
    await processObject.run();
  } catch (error) {
    onFailure(error);
    return;
  } finally {
    clearInterval(keepAlive);
  }
  getLogger().info('process shutting down');
  await waitForChildren();
  getLogger().info('process exiting with exitcode 0');
}
