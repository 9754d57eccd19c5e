// 002-14: a Semaphore(3) lets at most three of the ten processes use the resource at once.
import { Process, Semaphore, isMain } from 'multiprocessing-ts';

export async function limitedResource(id: number, sem: Semaphore): Promise<void> {
  await sem.acquire();
  try {
    console.log(`${id} is using the limited resource`);
    // Simulate the actual usage
  } finally {
    sem.release();
  }
}

if (isMain(import.meta)) {
  const sem = new Semaphore(3); // Allow up to 3 processes to access the resource
  // Differs: the semaphore is passed as an argument; the original's module-level one is shared only by fork children.
  const processes = Array.from({ length: 10 }, (_, i) => new Process({ target: limitedResource, args: [i, sem] }));
  for (const p of processes) {
    p.start();
  }
  for (const p of processes) {
    await p.join();
  }
}
