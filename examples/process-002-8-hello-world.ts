// 002-8: a first program: two processes each print a greeting.
import { Process, isMain } from 'multiprocessing-ts';

export function printHello(): void {
  console.log('Hello, world!');
}

if (isMain(import.meta)) {
  const process1 = new Process({ target: printHello });
  const process2 = new Process({ target: printHello });
  process1.start();
  process2.start();
  await process1.join();
  await process2.join();
}
