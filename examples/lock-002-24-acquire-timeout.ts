// 002-24: a timeout on acquire() instead of waiting forever for a lock someone may never release.
import { Lock, isMain } from 'multiprocessing-ts';

// Differs: the workers take the lock as an argument; a module-level Lock would be a different lock in every spawned child.
export async function worker1(lock: Lock): Promise<void> {
  await lock.acquire();
  try {
    // Critical section of code
  } finally {
    lock.release();
  }
}

export async function worker2(lock: Lock): Promise<void> {
  await lock.acquire();
  try {
    // Do something else
  } finally {
    lock.release();
  }
}

if (isMain(import.meta)) {
  const lock = new Lock();
  // Differs: acquire() resolves false when the timeout passes (as CPython's returns False), so the result is tested; the original's `except TimeoutError` could never run.
  if (!(await lock.acquire({ timeout: 5000 }))) {
    console.log('Potential deadlock detected, terminating program');
  }
}
