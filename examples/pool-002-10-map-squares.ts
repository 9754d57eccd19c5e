// 002-10: Pool().map of squares; the pool is closed and joined when the block ends.
import { Pool, isMain } from 'multiprocessing-ts';

export function square(x: number): number {
  return x * x;
}

if (isMain(import.meta)) {
  const data = [1, 2, 3, 4, 5];
  let results: number[];
  {
    await using pool = new Pool(); // one worker per CPU, as CPython's Pool()
    results = await pool.map(square, data);
  }
  console.log('Squares:', results);
}
