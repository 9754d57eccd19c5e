// 002-12: a worker and the main process exchange one message each way over a duplex Pipe.
import { Connection, Pipe, Process, isMain } from 'multiprocessing-ts';

export async function worker(conn: Connection): Promise<void> {
  conn.send('Hello from the worker process');
  const message = await conn.recv();
  console.log(`Worker received message: ${message}`);
  conn.close();
}

if (isMain(import.meta)) {
  const [parentConn, childConn] = Pipe();
  const p = new Process({ target: worker, args: [childConn] });
  p.start();
  console.log(`Main process received message: ${await parentConn.recv()}`);
  parentConn.send('Hello from the main process');
  await p.join();
}
