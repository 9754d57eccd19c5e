/**
 * What a manager's clients and its server say to each other over one authenticated
 * `Connection` per client process: requests carry an id, replies name the request they answer,
 * so many calls are in flight at once and a call that waits on the server (a `Queue.get`, a
 * `Lock.acquire`) holds back no other.
 */
import type { BoundAddress } from '../connection/listener.js';

/** Names one object held by one server: what a proxy stands for. */
export interface Token {
  /** The type the object was created as (`'list'`, `'Lock'`, a registered typeid). */
  readonly typeid: string;
  /** Where the server listens. */
  readonly address: BoundAddress;
  /** The server's own id: tells its objects apart from another server's at a reused address. */
  readonly server: string;
  /** The object's id in that server; never reused. */
  readonly id: string;
}

export type Request =
  /** Calls `method` of object `target` with `args`; `cancellable`: its last argument, an options object, gets a `signal` server-side. */
  | { op: 'call'; id: number; target: string; method: string; args: unknown[]; cancellable?: boolean }
  /** Creates an object of a registered typeid: replies with a proxy (one reference for this client). */
  | { op: 'create'; id: number; typeid: string; args: unknown[] }
  | { op: 'incref'; id: number; target: string }
  | { op: 'decref'; id: number; target: string }
  /** Sets aside one reference to `target` for whoever adopts `loan` (a proxy on its way elsewhere). */
  | { op: 'lend'; id: number; target: string; loan: string }
  /** Takes over the reference set aside under `loan`. */
  | { op: 'adopt'; id: number; loan: string }
  | { op: 'exposed'; id: number; target: string }
  /** Aborts the wait of call `call` (its `signal`); the call still answers. */
  | { op: 'cancel'; id: number; call: number }
  | { op: 'shutdown'; id: number }
  | { op: 'objects'; id: number };

/** A server's first message to each client: who it is (its id, as tokens carry it) and where it listens. */
export interface ServerHello {
  readonly address: BoundAddress;
  readonly server: string;
}

export type Reply =
  | { id: number; kind: 'return'; value?: unknown }
  | { id: number; kind: 'error'; error: unknown }
  /** A new object (or a method's result served as one): the client holds one reference. */
  | { id: number; kind: 'proxy'; token: Token; exposed: readonly string[] };

/** @internal Whether `value` looks like a request (the server checks everything else it reads). */
export function isRequest(value: unknown): value is Request {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { op?: unknown }).op === 'string' &&
    Number.isSafeInteger((value as { id?: unknown }).id)
  );
}
