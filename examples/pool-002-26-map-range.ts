// 002-26: Pool(processes=4).map over range(10).
import { Pool, isMain } from 'multiprocessing-ts';

export function square(x: number): number {
  return x * x;
}

if (isMain(import.meta)) {
  let results: number[];
  {
    await using pool = new Pool({ processes: 4 });
    results = await pool.map(square, Array.from({ length: 10 }, (_, i) => i));
  }
  console.log(results);
}
