/**
 * Small shared objects (locks, values, barriers...) are carved from shared arenas, as CPython's
 * multiprocessing.heap does: one segment serves many objects. Large ones get a segment of their own.
 * Blocks are not reused: an arena lives as long as anything in it may be in use.
 */
import type { Destination } from '../serialize/codec.js';
import { Segment, type SegmentHandle } from './segment.js';

const ARENA_SIZE = 64 * 1024;
const OWN_SEGMENT_FROM = ARENA_SIZE / 4;

export interface Block {
  segment: Segment;
  offset: number;
  size: number;
}

export interface BlockHandle {
  segment: SegmentHandle;
  offset: number;
  size: number;
}

let arena: { segment: Segment; used: number } | null = null;

/**
 * The segment behind each shared buffer this process maps, so any view on it (a RawArray, a
 * subarray of one) can travel as a handle on the same memory; it also keeps the segment, and so
 * its fd, alive for as long as the buffer is.
 */
const segmentByBuffer = new WeakMap<SharedArrayBuffer, Segment>();

function known(segment: Segment): Segment {
  segmentByBuffer.set(segment.buffer, segment);
  return segment;
}

/** The heap segment a SharedArrayBuffer belongs to, if it is one. */
export function segmentOfBuffer(buffer: ArrayBufferLike): Segment | undefined {
  return buffer instanceof SharedArrayBuffer ? segmentByBuffer.get(buffer) : undefined;
}

/** `size` zeroed bytes of shared memory, aligned to `align` (a power of two, at most 8). */
export function allocate(size: number, align = 8): Block {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`cannot allocate ${size} bytes`);
  const bytes = Math.max(size, 1);
  if (bytes >= OWN_SEGMENT_FROM) return { segment: known(Segment.create(bytes)), offset: 0, size };
  let offset = arena ? (arena.used + align - 1) & ~(align - 1) : 0;
  if (!arena || offset + bytes > ARENA_SIZE) {
    arena = { segment: known(Segment.create(ARENA_SIZE)), used: 0 };
    offset = 0;
  }
  arena.used = offset + bytes;
  return { segment: arena.segment, offset, size };
}

export function blockHandle(block: Block, destination: Destination): BlockHandle {
  return { segment: block.segment.handleFor(destination), offset: block.offset, size: block.size };
}

export function attachBlock(handle: BlockHandle): Block {
  return { segment: known(Segment.attach(handle.segment)), offset: handle.offset, size: handle.size };
}

/** An Int32Array over `count` words of a block, starting `wordOffset` words in. */
export function words(block: Block, count: number, wordOffset = 0): Int32Array {
  return new Int32Array(block.segment.buffer, block.offset + wordOffset * 4, count);
}
