/**
 * Any view on the package's shared memory (a RawArray, a subarray of it, a DataView, a Buffer)
 * travels to other processes and threads as the same memory, not as a copy. (Views on a named
 * `SharedMemory` block travel by its name: shared-memory.ts.)
 */
import { Buffer } from 'node:buffer';
import { registerShareable, registerSharedViewReducer, type Destination } from '../serialize/codec.js';
import { attachBlock, blockHandle, segmentOfBuffer, type BlockHandle } from './heap.js';

/** The handle of the memory under a view on shared memory of this package. */
export function viewHandle(view: ArrayBufferView, destination: Destination): BlockHandle {
  const segment = segmentOfBuffer(view.buffer);
  if (!segment) throw new TypeError('not a view on shared memory of this package');
  return blockHandle({ segment, offset: view.byteOffset, size: view.byteLength }, destination);
}

const VIEW_KINDS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
  Float32Array,
  Float64Array,
} as const;
export type ViewKind = keyof typeof VIEW_KINDS | 'DataView' | 'Buffer';

/** What a view is, so the same kind of view can be made on the other side. */
export function viewKind(view: ArrayBufferView): ViewKind | undefined {
  if (Buffer.isBuffer(view)) return 'Buffer';
  if (view instanceof DataView) return 'DataView';
  for (const [name, Ctor] of Object.entries(VIEW_KINDS)) if (view instanceof Ctor) return name as ViewKind;
  return undefined;
}

/** A view's length in its own units (elements; bytes for a DataView or Buffer). */
export function viewLength(view: ArrayBufferView, kind: ViewKind): number {
  return kind === 'DataView' || kind === 'Buffer' ? view.byteLength : (view as unknown as { length: number }).length;
}

/** The bytes a view of `kind` and `length` (its own units) spans. */
export function viewBytes(kind: ViewKind, length: number): number {
  return kind === 'DataView' || kind === 'Buffer' ? length : length * VIEW_KINDS[kind].BYTES_PER_ELEMENT;
}

export function makeView(kind: ViewKind, buffer: ArrayBufferLike, offset: number, length: number): ArrayBufferView {
  const memory = buffer as ArrayBuffer;
  if (kind === 'Buffer') return Buffer.from(memory, offset, length);
  if (kind === 'DataView') return new DataView(memory, offset, length);
  return new VIEW_KINDS[kind](memory, offset, length);
}

interface ViewState {
  kind: ViewKind;
  block: BlockHandle;
  length: number;
}

registerSharedViewReducer((view, destination) => {
  const segment = segmentOfBuffer(view.buffer);
  const kind = segment && viewKind(view);
  if (!kind) return undefined;
  const state: ViewState = { kind, block: viewHandle(view, destination), length: viewLength(view, kind) };
  return { type: 'SharedView', state };
});

registerShareable('SharedView', (state) => {
  const { kind, block: handle, length } = state as ViewState;
  const block = attachBlock(handle);
  return makeView(kind, block.segment.buffer, block.offset, length);
});
