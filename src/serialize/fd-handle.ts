/**
 * A file descriptor as it travels inside a handle's state (CPython's `reduction.DupFd`): to a
 * thread of this process, a duplicate named by number; to another process, a duplicate the
 * addon keeps for that process to take (CPython's `resource_sharer`).
 *
 * The `{ kind: 'fd', fd }` form is the one `decode` refuses in a value from another process,
 * where the number would name one of the receiver's own files (see `Reducible` in codec.ts).
 */
import { native } from '../internal/native.js';
import type { Destination } from './codec.js';

export type FdState = { kind: 'fd'; fd: number } | { kind: 'shared'; address: string; id: number };

/** What stands for `fd` in a handle's state sent to `destination` (the caller keeps `fd`). */
export function reduceFd(fd: number, destination: Destination): FdState {
  if (destination.kind === 'thread') return { kind: 'fd', fd: native().dupFd(fd) };
  const [address, id] = native().shareFd(fd);
  return { kind: 'shared', address, id };
}

/** The fd a state made by reduceFd stands for, now this process's own (the receiver closes it). */
export function takeFd(state: FdState): number {
  return state.kind === 'fd' ? state.fd : native().takeSharedFd(state.address, state.id);
}
