// 002-19: five processes store their squares in a dict held by a manager.
import { Manager, Process, isMain, type DictProxy } from 'multiprocessing-ts';

export async function worker(i: number, sharedDict: DictProxy<number, number>): Promise<void> {
  await sharedDict.set(i, i * i);
}

if (isMain(import.meta)) {
  await using manager = await Manager();
  const sharedDict = await manager.dict<number, number>();
  const procs = [0, 1, 2, 3, 4].map((i) => new Process({ target: worker, args: [i, sharedDict] }));
  for (const p of procs) {
    p.start();
  }
  for (const p of procs) {
    await p.join();
  }
  // Printed as Python prints a dict: {key: value, ...} in insertion order.
  const items = (await sharedDict.items()).map(([key, value]) => `${key}: ${value}`);
  console.log(`Squares are: {${items.join(', ')}}`);
}
