// Compile-time checks of hold()/holdSync(): `await using` and `using` declarations over every lock
// kind, the handle's type, and the options each form takes.
import { BoundedSemaphore, Condition, Lock, RLock, Semaphore, type HeldLock, type HoldOptions, type SyncHoldOptions } from '../../dist/index.js';

export async function holdAll(signal: AbortSignal): Promise<void> {
  const lock = new Lock();
  {
    await using held = await lock.hold({ timeout: 1000, signal });
    const still: boolean = held.held;
    void still;
  }
  {
    using held = lock.holdSync({ timeout: 1000 });
    held.release();
  }
  for (const each of [new RLock(), new Semaphore(2), new BoundedSemaphore(1), new Condition()]) {
    await using held: HeldLock = await each.hold();
    using again: HeldLock = each.holdSync();
    void held;
    void again;
  }
  const options: HoldOptions = { timeout: null, signal };
  const syncOptions: SyncHoldOptions = { timeout: 5 };
  void lock.hold(options);
  lock.holdSync(syncOptions);
  // @ts-expect-error a hold always waits: no `block` option
  void lock.hold({ block: false });
  // @ts-expect-error holdSync takes no AbortSignal
  lock.holdSync({ signal });
  // @ts-expect-error the timeout is an option, in milliseconds
  void lock.hold(5);
  // @ts-expect-error a handle is not a boolean: hold() has no "not acquired" result
  const acquired: boolean = await lock.hold();
  void acquired;
}
