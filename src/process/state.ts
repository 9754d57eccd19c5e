/**
 * What this process (or thread-process) knows about itself: its identity, name, authkey,
 * whether it is a child, and whether its bootstrap is still importing modules.
 *
 * The child flags live on `globalThis` under `Symbol.for` keys, so two copies of the package
 * loaded in one child agree on them, and nothing leaks into the environment of programs a task starts.
 */
import { nodeCrypto } from '../internal/builtins.js';

const CHILD_KEY = Symbol.for('multiprocessing-ts.child');
const BOOTSTRAP_KEY = Symbol.for('multiprocessing-ts.bootstrapping');

export interface SelfInfo {
  name: string;
  identity: readonly number[];
  daemon: boolean;
  authkey: Buffer;
  /** The start method that created this process, or null in the main process. */
  startMethod: string | null;
}

export interface ParentInfo {
  name: string;
  pid: number;
  /** True when the parent is a thread of this same OS process. */
  sameProcess: boolean;
}

interface ChildMark {
  self: SelfInfo;
  parent: ParentInfo;
}

type GlobalWithMarks = typeof globalThis & { [CHILD_KEY]?: ChildMark; [BOOTSTRAP_KEY]?: number };
const marks = globalThis as GlobalWithMarks;

let self: SelfInfo | undefined;
let childCounter = 0;

export function markAsChild(info: SelfInfo, parent: ParentInfo): void {
  marks[CHILD_KEY] = { self: info, parent };
  self = info;
}

export function childMark(): ChildMark | undefined {
  return marks[CHILD_KEY];
}

export function isChild(): boolean {
  return marks[CHILD_KEY] !== undefined;
}

export function selfInfo(): SelfInfo {
  self ??= marks[CHILD_KEY]?.self ?? {
    name: 'MainProcess',
    identity: [],
    daemon: false,
    authkey: nodeCrypto().randomBytes(32),
    startMethod: null,
  };
  return self;
}

/** The identity of the next child this process creates (`[...mine, n]`), as CPython numbers them. */
export function nextChildIdentity(): number[] {
  childCounter += 1;
  return [...selfInfo().identity, childCounter];
}

/** Runs `fn` with the bootstrapping flag raised: starting a process in that window is refused. */
export async function whileBootstrapping<T>(fn: () => Promise<T>): Promise<T> {
  marks[BOOTSTRAP_KEY] = (marks[BOOTSTRAP_KEY] ?? 0) + 1;
  try {
    return await fn();
  } finally {
    marks[BOOTSTRAP_KEY] = (marks[BOOTSTRAP_KEY] ?? 1) - 1;
  }
}

export function isBootstrapping(): boolean {
  return (marks[BOOTSTRAP_KEY] ?? 0) > 0;
}
