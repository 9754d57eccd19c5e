/**
 * The resource tracker process (its own entry, started detached by client.ts).
 *
 * Reads `REGISTER:name:type` / `UNREGISTER:name:type` lines from stdin, the read end of a pipe
 * whose write ends only the program's processes hold. A process announces a name it is about to
 * create (`CREATING`) and settles it once created (`REGISTER`) or not (`ABANDON`): announcements
 * are counted apart from registrations, so a failed attempt on someone else's name takes nothing
 * away from them, and one never settled (its process was killed in between) is removed too. EOF means every one of them is gone
 * (ended, crashed or SIGKILLed): whatever is still registered is removed, one warning line per
 * type names it, and the tracker exits.
 */
import { writeSync } from 'node:fs';
import { hasErrno, native } from '../internal/native.js';

process.title = 'multiprocessing-ts resource tracker';

// As CPython's tracker: Ctrl-C and "kill all node processes" must not make the program leak.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

const CLEANUP: Record<string, (name: string) => void> = {
  shared_memory: (name) => native().shmUnlink(`/${name}`),
};

/** Registered names per type, in registration order. */
const registered = new Map<string, Set<string>>(Object.keys(CLEANUP).map((type) => [type, new Set<string>()]));
/** Names per type announced for creation and not yet settled, with how many announcements are open. */
const announced = new Map<string, Map<string, number>>(Object.keys(CLEANUP).map((type) => [type, new Map<string, number>()]));

function settle(open: Map<string, number>, name: string): void {
  const count = open.get(name);
  if (count === undefined) return;
  if (count > 1) open.set(name, count - 1);
  else open.delete(name);
}

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
  const open = announced.get(type)!;
  if (command === 'CREATING') open.set(name, (open.get(name) ?? 0) + 1);
  else if (command === 'REGISTER') {
    names.add(name);
    settle(open, name);
  } else if (command === 'ABANDON') settle(open, name);
  else if (command === 'UNREGISTER') names.delete(name);
  else if (command !== 'PROBE') say(`resource_tracker: unrecognized command ${JSON.stringify(command)}`);
}

function quote(name: string): string {
  return `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function finish(): void {
  for (const [type, names] of registered) {
    const failures: string[] = [];
    const remove = (name: string): boolean => {
      try {
        CLEANUP[type]!(name);
        return true;
      } catch (error) {
        // Removed by someone else already: nothing left to clean.
        if (hasErrno(error, 'ENOENT')) return false;
        failures.push(`resource_tracker: ${quote(name)}: ${(error as Error).message}`);
        return true;
      }
    };
    for (const name of names) remove(name);
    // A name announced by a process killed before it could register it: named in the warning
    // only if it had been made.
    for (const name of announced.get(type)!.keys()) if (!names.has(name) && remove(name)) names.add(name);
    if (names.size === 0) continue;
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
