/**
 * Anonymous shared memory segments (memfd) and how they reach other processes and threads.
 *
 * A segment is known by the fd its holder keeps open: another process of ours maps it through
 * /proc/<pid>/fd/<fd>, a thread of this process receives the SharedArrayBuffer itself. Nothing can
 * leak: the kernel frees the memory when the last fd and mapping are gone, even after SIGKILL.
 *
 * A segment nobody else has seen is closed when collected; once it has been sent anywhere it is
 * kept for the life of this process, so a receiver can always open it while its sender runs (and a
 * child never outlives its parent).
 *
 * Without the native addon a segment is a plain SharedArrayBuffer: threads receive it as they
 * always do, and there are no other processes to send it to.
 */
import { ProcessError } from '../errors.js';
import { hasErrno, hasNative, native, nativeStatus } from '../internal/native.js';
import type { Destination } from '../serialize/codec.js';
import { nodeCrypto } from '../internal/builtins.js';

interface Holder {
  pid: number;
  fd: number;
}

export interface SegmentHandle {
  id: string;
  size: number;
  /** A process that holds the segment open, and its fd for it; absent for memory only threads can see. */
  holder?: Holder;
  /** Present when the receiver is a thread of the same process: the memory itself. */
  buffer?: SharedArrayBuffer;
}

const closer = new FinalizationRegistry<number>((fd) => {
  try {
    native().closeFd(fd);
  } catch {
    // already closed
  }
});

const byId = new Map<string, WeakRef<Segment>>();
const pinned = new Set<Segment>();

export class Segment {
  readonly id: string;
  readonly size: number;
  readonly buffer: SharedArrayBuffer;
  /** The holder to name when sending: this process's own fd, or the one it received; absent for memory only threads can see. */
  readonly #origin: Holder | undefined;

  private constructor(id: string, size: number, buffer: SharedArrayBuffer, origin: Holder | undefined, ownFd: number | null) {
    this.id = id;
    this.size = size;
    this.buffer = buffer;
    this.#origin = origin;
    byId.set(id, new WeakRef(this));
    if (ownFd !== null) closer.register(this, ownFd);
  }

  /** A new zero-filled segment of `size` bytes. */
  static create(size: number): Segment {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`segment size must be a positive integer, not ${size}`);
    const id = `${process.pid}-${nodeCrypto().randomBytes(8).toString('hex')}`;
    if (!hasNative()) return new Segment(id, size, new SharedArrayBuffer(size), undefined, null);
    const fd = native().memfdCreate(`mp-${id}`, size);
    return new Segment(id, size, native().mapShared(fd, size), { pid: process.pid, fd }, fd);
  }

  /** The same memory another process or thread described with `handleFor()`. */
  static attach(handle: SegmentHandle): Segment {
    const known = byId.get(handle.id)?.deref();
    if (known) return known;
    if (handle.buffer) return new Segment(handle.id, handle.size, handle.buffer, handle.holder, null);
    const holder = handle.holder;
    if (!holder) throw new ProcessError(`Cannot map shared memory ${handle.id}: it arrived without its memory or a process that holds it.`);
    let fd: number;
    try {
      fd = native().openProcessFd(holder.pid, holder.fd);
    } catch (error) {
      const why = hasErrno(error, 'ENOENT')
        ? `process ${holder.pid} that shares it has exited or released it`
        : hasErrno(error, 'EACCES') || hasErrno(error, 'EPERM')
          ? `this process may not open the memory of process ${holder.pid} (another user, or ptrace restrictions)`
          : (error as Error).message;
      throw new ProcessError(
        `Cannot map shared memory ${handle.id}: ${why}. Shared objects (locks, values, arrays) can be sent to ` +
          'processes and threads started by this program while the sender runs; between unrelated programs use SharedMemory by name.',
        { cause: error },
      );
    }
    return new Segment(handle.id, handle.size, native().mapShared(fd, handle.size), { pid: process.pid, fd }, fd);
  }

  /** What a receiver needs to map this segment; pins it for the life of this process. */
  handleFor(destination: Destination): SegmentHandle {
    const handle: SegmentHandle = { id: this.id, size: this.size };
    if (this.#origin) {
      // Even a thread may pass the handle on to a process, which then opens the holder's fd.
      pinned.add(this);
      handle.holder = this.#origin;
    }
    if (destination.kind === 'thread') handle.buffer = this.buffer;
    else if (!this.#origin) {
      // Only a process destination needs the memory named rather than handed over: another
      // process, or bytes that any thread may read (a Queue's items).
      const status = nativeStatus();
      throw new ProcessError(
        `Cannot send shared memory ${this.id} to another process or through a Queue: ${status.available ? 'only threads can see it' : status.reason}. ` +
          "Without the native addon only threads share memory, and it reaches them as arguments: pass locks, values, arrays and queues " +
          "to a thread's Process or ThreadPool call (getContext('thread')).",
      );
    }
    return handle;
  }
}
