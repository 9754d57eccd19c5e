// Compile-time checks of the synchronization and shared-memory APIs' types.
import {
  Lock,
  RLock,
  Semaphore,
  BoundedSemaphore,
  Condition,
  Event,
  Barrier,
  Value,
  Array as SharedArrayAlias,
  SharedArray,
  RawArray,
  RawValue,
  type RawValueObject,
  SharedMemory,
  ShareableList,
  getContext,
} from '../../dist/index.js';

export function onArrival(): void {}

// Without a type argument, Value, Array and RawValueObject hold numbers: arithmetic compiles.
export function increment(counter: Value): void {
  counter.value += 1;
  counter.value *= 2;
}
export function double(values: SharedArray): void {
  values.set(0, values.get(0) * 2);
}
export function bump(raw: RawValueObject): number {
  return ++raw.value;
}

const lock = new Lock();
const got: Promise<boolean> = lock.acquire({ timeout: 100, signal: AbortSignal.timeout(1000) });
const gotSync: boolean = lock.acquireSync({ block: false });
// @ts-expect-error a Sync twin takes no AbortSignal
lock.acquireSync({ signal: AbortSignal.timeout(10) });
lock.release();
new RLock().acquireSync();
const value: number = new Semaphore(2).getValue();
new BoundedSemaphore(1).release();
const cond = new Condition(lock);
const woke: Promise<boolean> = cond.wait({ timeout: 10 });
cond.notify(2);
cond.notifyAll();
const event = new Event();
const flag: Promise<boolean> = event.wait({ timeout: 5 });
const barrier = new Barrier(2, { action: onArrival, timeout: 1000 });
const index: Promise<number> = barrier.wait();
const parties: number = barrier.parties;

const counter = new Value('i', 0);
counter.value += 1;
increment(counter);
increment(new Value('d', 0.5));
double(new SharedArray('h', 2));
const plain: number = new Value('i', 0).value;
const big: bigint = new Value('q', 1n).value;
const char: string = new Value('c', 'a').value;
const wide: string = new Value('u', 'é').value;
const bigs: bigint = new SharedArray('Q', [1n]).get(0);
// @ts-expect-error a 'q' value holds bigints: it is a Value<'q'>, not a numeric Value
increment(new Value('q', 1n));
// @ts-expect-error likewise a 'c' value holds one-character strings
const notNumeric: Value = new Value('c', 'a');
// @ts-expect-error an 'i' value is a number
counter.value = 'x';
const doubles: Float64Array = RawArray('d', 8);
const ints: Int32Array = RawArray('i', [1, 2, 3]);
const raw: number = RawValue('d', 1.5).value;
const arr = new SharedArray('i', [1, 2, 3]);
const first: number = arr.get(0);
const alias = new SharedArrayAlias('h', 4);
const shm = new SharedMemory({ create: true, size: 1024 });
const bytes: Uint8Array = shm.buf;
shm.buf[0] = 1;
const name: string = shm.name;
const list = new ShareableList([1, 2.5, 'x', null]);
const length: number = list.length;
const ctxLock: Lock = new (getContext('thread').Lock)();

export { got, gotSync, value, woke, flag, index, parties, plain, big, char, wide, bigs, notNumeric, doubles, ints, raw, first, alias, bytes, name, length, ctxLock };
