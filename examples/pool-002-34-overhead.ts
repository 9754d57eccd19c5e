// 002-34: the time of a plain map against Pool.map over 1,000 items (the pool's start included).
// Differs: the pool part runs under isMain (the Python original has no main guard, which only works with fork).
import { Pool, isMain } from 'multiprocessing-ts';

export function square(x: number): number {
  return x * x;
}

if (isMain(import.meta)) {
  const data = Array.from({ length: 1000 }, (_, i) => i);

  let start = performance.now();
  let result = data.map(square);
  console.log('Single-threaded time:', (performance.now() - start) / 1000);

  start = performance.now();
  {
    await using pool = new Pool({ processes: 4 });
    result = await pool.map(square, data);
  }
  console.log('Multi-threaded time:', (performance.now() - start) / 1000);
  console.log(`(${result.length} results)`);
}
