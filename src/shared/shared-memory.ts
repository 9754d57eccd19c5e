/**
 * `SharedMemory`: a named POSIX shared memory segment (CPython's
 * `multiprocessing.shared_memory.SharedMemory`), attachable by name from any process on the
 * machine, Python's included: `/dev/shm/<name>`, the same bytes.
 *
 * - `new SharedMemory({ create: true, size })` makes a new segment named `psm_` + 8 hex digits
 *   (or `name`); `new SharedMemory({ name })` attaches to an existing one.
 * - A name that exists already throws an Error named FileExistsError (code 'EEXIST'); attaching
 *   to a missing name throws FileNotFoundError (code 'ENOENT'), as Node's fs errors do.
 * - A name with a NUL character throws TypeError, as Node's fs does for paths.
 * - `close()` lets go of this handle (reading `buf` then throws; the mapping itself is released
 *   when the last view on it is collected); `unlink()` removes the name, once, from any process.
 * - `track` (default: true when creating, false when attaching): the resource tracker unlinks a
 *   tracked segment once every process of the program is gone, even after SIGKILL, and warns.
 *   A process that only attaches leaves the segment alone unless it asks with `track: true`.
 *
 * Sent to another process or thread as a Process arg, it arrives attached to the same name
 * (untracked there). So do typed arrays, DataViews and Buffers over its `buf`: a worker process
 * writing into one writes into the segment, never into a copy.
 *
 * Without the native addon (a platform it does not support, or MULTIPROCESSING_TS_NATIVE=0) there
 * are only threads, and a block is a SharedArrayBuffer whose name each thread knows from its own
 * registry (local-blocks.ts): Python cannot see it, and the resource tracker is not involved.
 */
import { constants as bufferConstants } from 'node:buffer';
import { constants } from 'node:os';
import { ProcessError } from '../errors.js';
import { errnoName, hasErrno, hasNative, native, type NativeError } from '../internal/native.js';
import { abandonCreation, announceCreation, track as trackResource, untrack as untrackResource } from '../resource-tracker/client.js';
import { kReduce, registerShareable, registerSharedViewReducer, type Destination } from '../serialize/codec.js';
import { openLocalBlock, receiveLocalBlock, unlinkLocalBlock } from './local-blocks.js';
import { makeView, viewBytes, viewKind, viewLength, type ViewKind } from './shared-views.js';
import { nodeCrypto } from '../internal/builtins.js';

/**
 * Options of {@link SharedMemory}.
 * @category Shared memory
 */
export interface SharedMemoryOptions {
  /** The segment's name, without a leading '/'. Omitted with `create`: a fresh random name. */
  name?: string | null;
  /** true: make a new segment (fails if the name exists); false (default): attach to one. */
  create?: boolean;
  /** Bytes, when creating (> 0). Ignored when attaching: the segment's own size is used. */
  size?: number;
  /** Register with the resource tracker. Default: true when creating, false when attaching. */
  track?: boolean;
}

const ERRNO_NAMES: Record<number, { name: string; code: string }> = {
  [constants.errno.EEXIST]: { name: 'FileExistsError', code: 'EEXIST' },
  [constants.errno.ENOENT]: { name: 'FileNotFoundError', code: 'ENOENT' },
  [constants.errno.EACCES]: { name: 'PermissionError', code: 'EACCES' },
  [constants.errno.EPERM]: { name: 'PermissionError', code: 'EPERM' },
};

/** An OS error in Node's shape (code, errno, syscall, path) named as CPython's OSError subclasses. */
function osError(error: unknown, path: string): Error {
  const errno = (error as NativeError).errno;
  if (typeof errno !== 'number') return error as Error;
  const known = ERRNO_NAMES[errno];
  const code = known?.code ?? errnoName(errno);
  const syscall = (error as NativeError).syscall ?? 'shm_open';
  const reason = (error as Error).message.replace(/^[^:]*: /, '');
  const out = new Error(`${code}: ${reason}, ${syscall} '${path}'`, { cause: error }) as NativeError & { code: string; path: string };
  Object.defineProperty(out, 'name', { value: known?.name ?? 'OSError', writable: true, configurable: true, enumerable: false });
  out.code = code;
  out.errno = errno;
  out.syscall = syscall;
  out.path = path;
  return out;
}

/**
 * The largest segment `buf` can view: the largest Uint8Array this Node.js makes (4 GiB on Node 20,
 * 2^53 - 1 bytes from Node 22 on 64-bit machines).
 */
export const MAX_SEGMENT_BYTES = bufferConstants.MAX_LENGTH;

function tooLarge(size: number, name: string | null): RangeError {
  return new RangeError(
    `SharedMemory${name === null ? '' : ` '${name}'`} of ${size} bytes is larger than this Node.js can view as one Uint8Array ` +
      `(buffer.constants.MAX_LENGTH: ${MAX_SEGMENT_BYTES} bytes). Use several smaller segments, or a Node.js version with a higher limit (22 and later).`,
  );
}

function checkName(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`name must be a string, not ${typeof name}`);
  if (name.includes('\0')) throw new TypeError('name must be a string without null characters');
  return name;
}

function randomName(): string {
  return `psm_${nodeCrypto().randomBytes(4).toString('hex')}`;
}

/** Where named blocks live: POSIX shared memory (/dev/shm) through the addon, or this thread's registry. */
interface BlockStore {
  /** The block's memory; `size` bytes when `create` (failing if the name is taken). Throws errors with an errno. */
  open(name: string, create: boolean, size: number): SharedArrayBuffer;
  unlink(name: string): void;
  /** Whether the resource tracker watches its blocks. */
  readonly tracked: boolean;
  /** Whether a block sent to a thread carries its memory (the name alone means nothing there). */
  readonly carried: boolean;
}

const posixStore: BlockStore = {
  open(name, create, size) {
    const addon = native();
    const fd = addon.shmOpen(`/${name}`, create, create);
    try {
      if (create) addon.truncate(fd, size);
      const actual = addon.fdSize(fd);
      if (actual === 0) throw new RangeError(`cannot map shared memory '${name}': it is empty (0 bytes)`);
      // One made elsewhere (by Python, say) may be larger than `buf` can be.
      if (actual > MAX_SEGMENT_BYTES) throw tooLarge(actual, name);
      return addon.mapShared(fd, actual);
    } catch (error) {
      if (create) {
        try {
          addon.shmUnlink(`/${name}`);
        } catch {
          // already gone
        }
      }
      throw error;
    } finally {
      // The mapping keeps the memory; the fd is not needed once it exists.
      addon.closeFd(fd);
    }
  },
  unlink: (name) => native().shmUnlink(`/${name}`),
  tracked: true,
  carried: false,
};

const localStore: BlockStore = {
  open: openLocalBlock,
  unlink: unlinkLocalBlock,
  tracked: false,
  carried: true,
};

function store(): BlockStore {
  return hasNative() ? posixStore : localStore;
}

/** @internal What a SharedMemory (or a ShareableList) travels as: its name, and its memory where the name alone is not enough. */
export interface BlockState {
  name: string;
  buffer?: SharedArrayBuffer;
}

let memoryOf: (shm: SharedMemory) => SharedArrayBuffer;

/** @internal What `shm` travels as to `destination` (a ShareableList travels as its block). */
export function blockState(shm: SharedMemory, destination: Destination): BlockState {
  return destination.kind === 'thread' && store().carried ? { name: shm.name, buffer: memoryOf(shm) } : { name: shm.name };
}

/** @internal Makes an arriving block's name known here, when it came with its memory. */
export function receiveBlock(state: BlockState): void {
  if (state.buffer) receiveLocalBlock(state.name, state.buffer);
}

/**
 * A named block of shared memory (CPython's `multiprocessing.shared_memory.SharedMemory`): a
 * POSIX segment, `/dev/shm/<name>`, that any process on the machine can attach to by name,
 * Python's included, and read and write in place through {@link SharedMemory.buf | buf}.
 *
 * - `new SharedMemory({ create: true, size })` makes a new segment named `psm_` + 8 hex digits
 *   (or `name`); `new SharedMemory({ name })` attaches to an existing one. A name that exists
 *   already throws an Error named `FileExistsError` (code `'EEXIST'`); attaching to a missing
 *   name throws `FileNotFoundError` (code `'ENOENT'`), as Node's fs errors are shaped.
 * - {@link SharedMemory.close | close()} lets go of this handle (reading `buf` afterwards
 *   throws, where CPython's is None); {@link SharedMemory.unlink | unlink()} removes the name,
 *   once, from any process. `using shm = ...` closes (never unlinks).
 * - A created segment is tracked: if the program ends (even by SIGKILL) without unlinking it,
 *   the resource tracker unlinks it and warns, as CPython's does.
 * - Sent to another process or thread (as a Process argument, in a queue...), it arrives attached
 *   to the same segment. So do typed arrays, DataViews and Buffers over its `buf`: a child
 *   writing into one writes into the segment, not into a copy.
 * - Without the native addon (threads only), a block lives in this process's memory and its name
 *   is known per thread: to the thread that made it, to threads started after that (they inherit
 *   their parent's names), and to threads it is sent to; `unlink()` removes the name in the
 *   calling thread. Python cannot see it, and no resource tracker is involved.
 *
 * @category Shared memory
 * @example
 * ```ts
 * import { Process, SharedMemory, isMain } from 'multiprocessing-ts';
 *
 * export function fill(name: string): void {
 *   const shm = new SharedMemory({ name }); // attach by name
 *   try {
 *     shm.buf.fill(7);
 *   } finally {
 *     shm.close();
 *   }
 * }
 *
 * if (isMain(import.meta)) {
 *   const shm = new SharedMemory({ create: true, size: 1024 });
 *   try {
 *     const p = new Process({ target: fill, args: [shm.name] });
 *     p.start();
 *     await p.join();
 *     console.log(shm.buf[0]); // 7
 *   } finally {
 *     shm.close();
 *     shm.unlink(); // once, when no process needs the name any more
 *   }
 * }
 * ```
 */
export class SharedMemory {
  readonly #name: string;
  readonly #size: number;
  readonly #memory: SharedArrayBuffer;
  #buf: Uint8Array | null;

  /**
   * Creates a segment (`create: true`) or attaches to one by name.
   * @param options The name, whether to create, the size in bytes, whether to track it.
   */
  constructor(options: SharedMemoryOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('SharedMemory takes an options object like { name, create, size, track }');
    }
    const { name = null, create = false, size = 0 } = options;
    if (typeof create !== 'boolean') throw new TypeError('create must be a boolean');
    if (typeof size !== 'number') throw new TypeError(`size must be a number, not ${typeof size}`);
    if (!(size >= 0)) throw new RangeError("'size' must be a positive integer");
    if (!Number.isSafeInteger(size)) throw new RangeError(`'size' must be an integer, not ${size}`);
    if (create && size === 0) throw new RangeError("'size' must be a positive number different from zero");
    // Refused before anything is made: no segment is left behind for a size `buf` cannot view.
    if (create && size > MAX_SEGMENT_BYTES) throw tooLarge(size, name === null ? null : String(name));
    if (name === null && !create) throw new TypeError('name can only be omitted when create is true');
    const track = options.track ?? create;
    if (typeof track !== 'boolean') throw new TypeError('track must be a boolean');
    const given = name === null ? null : checkName(name);

    const blocks = store();
    const tracked = track && blocks.tracked;
    // A segment to track is announced to the tracker before it exists, so a process killed
    // between creating and registering it leaves nothing behind.
    const announced = tracked && create;
    let chosen: string;
    let buffer: SharedArrayBuffer;
    for (;;) {
      chosen = given ?? randomName();
      if (announced) announceCreation(chosen, 'shared_memory');
      try {
        buffer = blocks.open(chosen, create, size);
        break;
      } catch (error) {
        if (announced) abandonCreation(chosen, 'shared_memory');
        if (given === null && hasErrno(error, 'EEXIST')) continue;
        throw error instanceof RangeError ? error : osError(error, `/${chosen}`);
      }
    }
    let buf: Uint8Array;
    try {
      buf = new Uint8Array(buffer);
      if (tracked) trackResource(chosen, 'shared_memory');
    } catch (error) {
      // Nothing may outlive a failed constructor: a segment it created goes again.
      if (create) {
        try {
          blocks.unlink(chosen);
        } catch {
          // already gone
        }
        if (announced) abandonCreation(chosen, 'shared_memory');
      }
      throw error;
    }
    this.#name = chosen;
    this.#size = buffer.byteLength;
    this.#memory = buffer;
    this.#buf = buf;
    nameOfBuffer.set(buffer, chosen);
  }

  /**
   * The segment's bytes, read and written in place (a view over the shared mapping).
   * @throws {@link ProcessError} once this handle is closed.
   */
  get buf(): Uint8Array {
    if (this.#buf === null) {
      throw new ProcessError(
        `SharedMemory '${this.#name}' is closed: its buf is gone from this handle. ` +
          `Attach again with new SharedMemory({ name: '${this.#name}' }) to keep using the segment.`,
      );
    }
    return this.#buf;
  }

  /** The name other processes attach with (without the leading '/'). */
  get name(): string {
    return this.#name;
  }

  /** The segment's size in bytes. */
  get size(): number {
    return this.#size;
  }

  /**
   * Lets go of this handle's view of the segment (reading `buf` then throws); other handles, in
   * this process or others, are unaffected. Idempotent.
   */
  close(): void {
    this.#buf = null;
  }

  /**
   * Removes the segment's name, so nobody new can attach (existing handles keep working until
   * closed). Call it once across all processes; a second call throws FileNotFoundError.
   */
  unlink(): void {
    const blocks = store();
    try {
      blocks.unlink(this.#name);
    } catch (error) {
      throw osError(error, `/${this.#name}`);
    }
    if (blocks.tracked) untrackResource(this.#name, 'shared_memory');
  }

  /** Closes this handle (it never unlinks: the segment may still be in use elsewhere). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal */
  [kReduce](destination: Destination): { type: string; state: BlockState } {
    return { type: 'SharedMemory', state: blockState(this, destination) };
  }

  static {
    memoryOf = (shm) => shm.#memory;
  }

  /** CPython's repr: `SharedMemory('psm_1a2b3c4d', size=1024)`. */
  toString(): string {
    return `SharedMemory('${this.#name}', size=${this.#size})`;
  }
}

registerShareable('SharedMemory', (state) => {
  receiveBlock(state as BlockState);
  return new SharedMemory({ name: (state as BlockState).name, track: false });
});

/** The segment name behind each buffer a SharedMemory maps in this process. */
const nameOfBuffer = new WeakMap<SharedArrayBuffer, string>();

interface NamedViewState {
  name: string;
  kind: ViewKind;
  offset: number;
  length: number;
}

registerSharedViewReducer((view, destination) => {
  // A thread receives the SharedArrayBuffer itself: the structured clone shares it.
  if (destination.kind === 'thread') return undefined;
  const name = nameOfBuffer.get(view.buffer as SharedArrayBuffer);
  const kind = name === undefined ? undefined : viewKind(view);
  if (name === undefined || !kind) return undefined;
  const state: NamedViewState = { name, kind, offset: view.byteOffset, length: viewLength(view, kind) };
  return { type: 'SharedMemoryView', state };
});

registerShareable('SharedMemoryView', (state) => {
  const { name, kind, offset, length } = state as NamedViewState;
  let segment: SharedMemory;
  try {
    segment = new SharedMemory({ name, track: false });
  } catch (error) {
    throw new ProcessError(
      `A ${kind} over SharedMemory '${name}' arrived, but the block cannot be attached here: ${(error as Error).message}. ` +
        'Keep the block linked until every receiver has its views (unlink() after they are done).',
      { cause: error },
    );
  }
  const bytes = viewBytes(kind, length);
  if (offset + bytes > segment.size) {
    throw new ProcessError(`A ${kind} over bytes ${offset}–${offset + bytes} of SharedMemory '${name}' arrived, but the block has only ${segment.size} bytes here.`);
  }
  return makeView(kind, segment.buf.buffer, offset, length);
});
