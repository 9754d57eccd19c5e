/**
 * A large item a producer cannot write into the ring at once (the ring is full, or the item is
 * larger than it) does not wait in the producer's outbox: its bytes go into a shared memory block
 * of their own and the ring carries only the block's name. So an outbox holds only small items,
 * and a process that put large ones can end before anyone reads them: joining it before draining
 * the queue does not deadlock (CPython's does once its pipe buffer, ~64 KiB, is full: gh-73983).
 * The reader frees the block as it takes the item; a block never read is freed by the resource
 * tracker when the program ends (which then warns, as for any shared memory left behind).
 * MULTIPROCESSING_TS_QUEUE_SPILL=0 in the environment turns this off: large items then wait in the
 * outbox, as CPython's feeder keeps them, and stream through the ring as readers drain it. So does
 * running without the native addon (no named blocks; only threads, which end with the program).
 *
 * Blocks are written and read with pwrite/pread, never mapped: their pages are freed as soon as the
 * reader unlinks the block, not when a garbage collector gets to a mapping.
 */
import { nodeCrypto } from '../internal/builtins.js';
import { readSync, writeSync } from 'node:fs';
import { ProcessError } from '../errors.js';
import { hasErrno, hasNative, native } from '../internal/native.js';
import { abandonCreation, announceCreation, track, untrack } from '../resource-tracker/client.js';
import type { Message } from './channel.js';
import type { Frame } from './item-codec.js';

/** Items from this size go into a block of their own when they cannot be written at once. */
export const SPILL_FROM = 64 * 1024;
/** The kind of a message naming a spilled item's block. Body: the item's kind (one byte), then the block's name. */
export const K_SPILLED = 10;

/** A new name, with the creating process's pid in it (and so in /dev/shm) for whoever looks there. */
const blockName = (): string => `mpq_${process.pid}_${nodeCrypto().randomBytes(6).toString('hex')}`;

/**
 * Opens a new block, under a fresh name should one be taken already, tracked for removal should
 * nobody read it. The tracker hears of its name before it exists: a producer killed at any point
 * leaves nothing in /dev/shm once the program has ended.
 */
function createBlock(): { name: string; fd: number } {
  for (;;) {
    const name = blockName();
    announceCreation(name, 'shared_memory');
    let fd: number;
    try {
      fd = native().shmOpen(`/${name}`, true, true);
    } catch (error) {
      abandonCreation(name, 'shared_memory');
      if (!hasErrno(error, 'EEXIST')) throw error;
      continue;
    }
    // Its reader untracks it, maybe in another process: this one does not remember it.
    track(name, 'shared_memory', false);
    return { name, fd };
  }
}

/**
 * `frame`, or (when it is large) a message naming a new block that holds its bytes. The block's
 * pages are allocated before it is written, so a full /dev/shm (a container's is often 64 MiB)
 * leaves the item to wait in the outbox instead of crashing the producer with SIGBUS.
 */
export function spill(frame: Frame): Frame {
  const bytes = frame.bytes;
  if (bytes.length < SPILL_FROM || process.env.MULTIPROCESSING_TS_QUEUE_SPILL === '0' || !hasNative()) return frame;
  const addon = native();
  let block: { name: string; fd: number };
  try {
    block = createBlock();
  } catch {
    return frame;
  }
  const { name, fd } = block;
  try {
    addon.reserve(fd, bytes.length);
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, done);
  } catch {
    // No room in /dev/shm: the item waits in the outbox instead.
    try {
      addon.shmUnlink(`/${name}`);
    } catch {
      // gone already
    }
    untrack(name, 'shared_memory');
    return frame;
  } finally {
    addon.closeFd(fd);
  }
  const body = Buffer.allocUnsafe(1 + name.length);
  body[0] = frame.kind;
  body.write(name, 1, 'latin1');
  return { kind: K_SPILLED, bytes: body, owned: true };
}

/** The item a K_SPILLED message names, read out of its block, which is then freed. */
export function unspill(body: Uint8Array): Message {
  const kind = body[0]!;
  const name = Buffer.from(body.buffer, body.byteOffset + 1, body.byteLength - 1).toString('latin1');
  const addon = native();
  let fd: number;
  try {
    fd = addon.shmOpen(`/${name}`, false, false);
  } catch (error) {
    throw new ProcessError(
      `A queue item kept in shared memory block '${name}' is gone (${(error as Error).message}): the item is lost. ` +
        'Something removed the block from /dev/shm before it was read.',
      { cause: error },
    );
  }
  try {
    const size = addon.fdSize(fd);
    const out = new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
    for (let done = 0; done < size; ) {
      const n = readSync(fd, out, done, size - done, done);
      if (n === 0) throw new ProcessError(`A queue item kept in shared memory block '${name}' is shorter than it was written.`);
      done += n;
    }
    return { kind, body: out };
  } finally {
    addon.closeFd(fd);
    try {
      addon.shmUnlink(`/${name}`);
    } catch {
      // removed by someone else meanwhile: nothing left to free
    }
    untrack(name, 'shared_memory');
  }
}
