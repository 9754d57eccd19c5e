// 001-5: a child sends a list through a Pipe; the parent prints it.
import { Connection, Pipe, Process, isMain } from 'multiprocessing-ts';

export function myfunction(conn: Connection): void {
  conn.send(['hi!! I am Python']);
  conn.close();
}

if (isMain(import.meta)) {
  const [parentConn, childConn] = Pipe();
  const p = new Process({ target: myfunction, args: [childConn] });
  p.start();
  const message = (await parentConn.recv()) as string[];
  console.log(`[${message.map((item) => `'${item}'`).join(', ')}]`); // printed as Python prints a list
  await p.join();
}
