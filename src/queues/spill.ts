/**
 * A large item a producer cannot write into the ring at once (the ring is full, or the item is
 * larger than half of it) does not wait in the producer's outbox: its bytes go into a shared
 * memory block of their own and the ring carries only the block's name. So an outbox holds only
 * small items, and a process that put large ones can end before anyone reads them: joining it
 * before draining the queue does not deadlock (CPython's does once its pipe buffer, ~64 KiB, is
 * full: gh-73983). The reader frees the block as it takes the item; a block never read is freed by
 * the resource tracker when the program ends. MULTIPROCESSING_TS_QUEUE_SPILL=0 in the environment
 * (read at start-up, inherited by children) turns this off: large items then wait in the outbox,
 * as CPython's feeder keeps them, and stream through the ring as readers drain it.
 */
import { randomBytes } from 'node:crypto';
import { ProcessError } from '../errors.js';
import { native } from '../internal/native.js';
import { track, untrack } from '../resource-tracker/client.js';
import { SharedMemory } from '../shared/shared-memory.js';
import type { Message } from './channel.js';
import type { Frame } from './framing.js';

/** Items from this size go into a block of their own when they cannot be written at once. */
export const SPILL_FROM = 64 * 1024;
const SPILLING = process.env.MULTIPROCESSING_TS_QUEUE_SPILL !== '0';
/** The kind of a message naming a spilled item's block. Body: the item's kind (one byte), then the block's name. */
export const K_SPILLED = 10;

/**
 * `frame`, or (when it is large) a message naming a new block that holds its bytes. The block's
 * pages are allocated before it is written, so a full /dev/shm (a container's is often 64 MiB)
 * leaves the item to wait in the outbox instead of crashing the producer with SIGBUS.
 */
export function spill(frame: Frame): Frame {
  const size = frame.bytes.length;
  if (size < SPILL_FROM || !SPILLING) return frame;
  const addon = native();
  const name = `mpq_${randomBytes(8).toString('hex')}`;
  // Tracked first: a block this process dies holding is freed when the program ends.
  track(name, 'shared_memory');
  let fd = -1;
  try {
    fd = addon.shmOpen(`/${name}`, true, true);
    addon.reserve(fd, size);
    new Uint8Array(addon.mapShared(fd, size)).set(frame.bytes);
  } catch {
    if (fd >= 0) addon.shmUnlink(`/${name}`);
    untrack(name, 'shared_memory');
    return frame;
  } finally {
    if (fd >= 0) addon.closeFd(fd);
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
  let block: SharedMemory;
  try {
    block = new SharedMemory({ name });
  } catch (error) {
    throw new ProcessError(`A queue item kept in shared memory block '${name}' is gone: ${(error as Error).message}`, { cause: error });
  }
  try {
    const bytes = block.buf!;
    const out = new Uint8Array(Buffer.allocUnsafeSlow(bytes.length).buffer, 0, bytes.length);
    out.set(bytes);
    return { kind, body: out };
  } finally {
    block.close();
    block.unlink();
  }
}
