/**
 * The resource tracker process (its own entry, started detached by client.ts).
 *
 * Reads `REGISTER:name:type` / `UNREGISTER:name:type` lines from stdin, the read end of a pipe
 * whose write ends only the program's processes hold. EOF means every one of them is gone
 * (ended, crashed or SIGKILLed): whatever is still registered is removed, one warning line per
 * type names it, and the tracker exits.
 */
import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import { native, type NativeError } from '../internal/native.js';

process.title = 'multiprocessing-ts resource tracker';

// As CPython's tracker: Ctrl-C and "kill all node processes" must not make the program leak.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

const CLEANUP: Record<string, (name: string) => void> = {
  shared_memory: (name) => native().shmUnlink(`/${name}`),
};

/** Registered names per type, in registration order. */
const registered = new Map<string, Set<string>>(Object.keys(CLEANUP).map((type) => [type, new Set<string>()]));

function say(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // nobody is listening any more
  }
}

function handle(line: string): void {
  const first = line.indexOf(':');
  const last = line.lastIndexOf(':');
  if (first < 0 || last <= first) return say(`resource_tracker: malformed message ${JSON.stringify(line)}`);
  const command = line.slice(0, first);
  const name = line.slice(first + 1, last);
  const type = line.slice(last + 1);
  const names = registered.get(type);
  if (!names) return say(`resource_tracker: Cannot register ${name} for automatic cleanup: unknown resource type ${type}`);
  if (command === 'REGISTER') names.add(name);
  else if (command === 'UNREGISTER') names.delete(name);
  else if (command !== 'PROBE') say(`resource_tracker: unrecognized command ${JSON.stringify(command)}`);
}

function quote(name: string): string {
  return `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function finish(): void {
  for (const [type, names] of registered) {
    if (names.size === 0) continue;
    const failures: string[] = [];
    for (const name of names) {
      try {
        CLEANUP[type]!(name);
      } catch (error) {
        // Removed by someone else already: nothing left to clean.
        if ((error as NativeError).errno !== constants.errno.ENOENT) failures.push(`resource_tracker: ${quote(name)}: ${(error as Error).message}`);
      }
    }
    say(
      `resource_tracker: There appear to be ${names.size} leaked ${type} objects to clean up at shutdown: ` +
        `[${[...names].map(quote).join(', ')}]`,
    );
    for (const failure of failures) say(failure);
  }
  process.exit(0);
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  pending += chunk;
  for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
    handle(pending.slice(0, end));
    pending = pending.slice(end + 1);
  }
});
process.stdin.once('end', finish);
process.stdin.once('error', finish);
