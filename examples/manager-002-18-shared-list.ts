// 002-18: five processes append their squares to a list held by a manager.
import { Manager, Process, isMain, type ListProxy } from 'multiprocessing-ts';

export async function worker(i: number, sharedList: ListProxy<number>): Promise<void> {
  await sharedList.append(i * i);
}

if (isMain(import.meta)) {
  await using manager = await Manager();
  const sharedList = await manager.list<number>();
  const procs = [0, 1, 2, 3, 4].map((i) => new Process({ target: worker, args: [i, sharedList] }));
  for (const p of procs) {
    p.start();
  }
  for (const p of procs) {
    await p.join();
  }
  console.log(`Squares are: [${(await sharedList.copy()).join(', ')}]`);
}
