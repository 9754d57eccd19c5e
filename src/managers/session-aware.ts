/**
 * How a server-side object learns which client calls it: a lock's owner is the client (its
 * session), not the server's one thread, and what a client held is let go when it disconnects.
 */

/** One client connection to a server: the identity locks are owned by. */
export interface Caller {
  /** For messages: `client 3 (pid 1234)`. */
  readonly name: string;
}

/** An object with this method is called through it, with the calling client. */
export const kCallAs = Symbol('callAs');
/** An object with this method is told when a client is gone, to let go of what that client held. */
export const kCallerGone = Symbol('callerGone');

export interface SessionAware {
  [kCallAs](caller: Caller, method: string, args: unknown[]): unknown;
  [kCallerGone](caller: Caller): void;
}

export function isSessionAware(obj: unknown): obj is SessionAware {
  return typeof obj === 'object' && obj !== null && typeof (obj as Partial<SessionAware>)[kCallAs] === 'function';
}
