// 002-11: a worker sends a message to the main process through a Queue.
import { Process, Queue, isMain } from 'multiprocessing-ts';

export async function worker(q: Queue<string>): Promise<void> {
  await q.put('Hello from the worker process');
}

if (isMain(import.meta)) {
  const myQueue = new Queue<string>();
  const p = new Process({ target: worker, args: [myQueue] });
  p.start();
  await p.join();
  const message = await myQueue.get();
  console.log(`Main process received message: ${message}`);
}
