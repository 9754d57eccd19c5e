// 002-25: one child sends a list through a Pipe, another child receives and prints it.
import { Connection, Pipe, Process, isMain } from 'multiprocessing-ts';

export function sender(conn: Connection): void {
  conn.send(['data']);
  conn.close();
}

export async function receiver(conn: Connection): Promise<void> {
  const message = (await conn.recv()) as string[];
  console.log(`[${message.map((item) => `'${item}'`).join(', ')}]`); // printed as Python prints a list
}

if (isMain(import.meta)) {
  const [parentConn, childConn] = Pipe();
  const p1 = new Process({ target: sender, args: [parentConn] });
  const p2 = new Process({ target: receiver, args: [childConn] });
  p1.start();
  p2.start();
  await p1.join();
  await p2.join();
}
