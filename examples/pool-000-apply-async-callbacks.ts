// 000 (prose): Pool.apply_async() returns a placeholder whose get() gives the result; callbacks
// run in the main process as each task finishes.
import { Pool, isMain } from 'multiprocessing-ts';

export function double(x: number): number {
  return x * 2;
}

if (isMain(import.meta)) {
  await using pool = new Pool({ processes: 2 });
  const seen: number[] = [];
  const placeholders = [1, 2, 3, 4, 5].map((x) =>
    pool.applyAsync(double, [x], {
      callback: (result) => seen.push(result),
      errorCallback: (error) => console.error('failed:', error.message),
    }),
  );
  const results = [];
  for (const placeholder of placeholders) results.push(await placeholder.get({ timeout: 10_000 }));
  console.log('results:', results);
  console.log('callbacks:', seen.length, 'ready:', placeholders.every((p) => p.ready() && p.successful()));
}
