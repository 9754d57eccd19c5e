/**
 * Named shared memory where the native addon is not available (no shm_open): a block is a
 * SharedArrayBuffer, and its name is known per thread, in a registry of that thread.
 *
 * A name reaches another thread in two ways: a SharedMemory (or a ShareableList) sent to it
 * carries its buffer and registers the name there; and a thread started by the package gets a
 * copy of its parent's registry as of `start()`. So the usual pattern, create by name, start a
 * thread, attach by name in it, works. What does not: a name created in one thread after another
 * started, and never sent to it, is unknown there; and `unlink()` removes the name only from the
 * thread that calls it. Nothing outlives the process, so no resource tracker is involved.
 */
import { Buffer } from 'node:buffer';
import { constants } from 'node:os';
import { nativeStatus, type NativeError } from '../internal/native.js';

/**
 * Blocks this thread made or inherited are held here (as a named segment is held by the OS until
 * unlinked); blocks it received are held only while something of this thread uses them, so a
 * worker that received a thousand blocks over its life does not keep them all.
 */
const blocks = new Map<string, SharedArrayBuffer | WeakRef<SharedArrayBuffer>>();
const forget = new FinalizationRegistry<{ name: string; ref: WeakRef<SharedArrayBuffer> }>(({ name, ref }) => {
  if (blocks.get(name) === ref) blocks.delete(name);
});

function lookup(name: string): SharedArrayBuffer | undefined {
  const entry = blocks.get(name);
  return entry instanceof WeakRef ? entry.deref() : entry;
}

/** A failure in the shape of the addon's (errno and system call), for the caller to name as an OS error. */
function failure(errno: number, message: string, syscall = 'shm_open'): NativeError {
  return Object.assign(new Error(`${syscall}: ${message}`), { errno, syscall });
}

function notKnown(name: string, syscall: string): NativeError {
  const status = nativeStatus();
  const because = status.available ? '' : ` because ${status.reason}`;
  return failure(
    constants.errno.ENOENT,
    `no shared memory named '${name}' is known to this thread. Named shared memory is kept per thread here${because}: ` +
      'a thread knows the blocks it made, those its parent had when it started the thread, and those sent to it. ' +
      'Send the SharedMemory or ShareableList to this thread as an argument, or create it before starting the thread',
    syscall,
  );
}

/** The longest name POSIX shared memory takes (NAME_MAX bytes): the same names are valid in both modes. */
const NAME_MAX = 255;

/** The block named `name`, made with `size` bytes when `create` (which fails if the name is taken). */
export function openLocalBlock(name: string, create: boolean, size: number): SharedArrayBuffer {
  if (name === '' || name.includes('/') || Buffer.byteLength(name) > NAME_MAX) throw failure(constants.errno.EINVAL, 'Invalid argument');
  const known = lookup(name);
  if (create) {
    if (known) throw failure(constants.errno.EEXIST, `shared memory named '${name}' exists already in this thread`);
    const buffer = new SharedArrayBuffer(size);
    blocks.set(name, buffer);
    return buffer;
  }
  if (!known) throw notKnown(name, 'shm_open');
  return known;
}

/** Removes `name` from this thread's registry (handles on the block keep working). */
export function unlinkLocalBlock(name: string): void {
  if (lookup(name) === undefined) throw notKnown(name, 'shm_unlink');
  blocks.delete(name);
}

/** A block that arrived from another thread: its name now refers to it here too. */
export function receiveLocalBlock(name: string, buffer: SharedArrayBuffer): void {
  const entry = blocks.get(name);
  // A block this thread made or inherited under that name stays what the name means here.
  if (entry !== undefined && !(entry instanceof WeakRef)) return;
  if (entry?.deref() === buffer) return;
  const ref = new WeakRef(buffer);
  blocks.set(name, ref);
  forget.register(buffer, { name, ref });
}

/** This thread's registry as a new thread inherits it (undefined when empty). */
export function localBlocksForThread(): Array<[string, SharedArrayBuffer]> | undefined {
  const live: Array<[string, SharedArrayBuffer]> = [];
  for (const name of blocks.keys()) {
    const buffer = lookup(name);
    if (buffer !== undefined) live.push([name, buffer]);
  }
  return live.length === 0 ? undefined : live;
}

/** A new thread takes on its parent's registry. */
export function adoptLocalBlocks(inherited: ReadonlyArray<[string, SharedArrayBuffer]> | undefined): void {
  for (const [name, buffer] of inherited ?? []) if (lookup(name) === undefined) blocks.set(name, buffer);
}
