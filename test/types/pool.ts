// Compile-time checks of the Pool API's types (`tsc -p test/types`).
import { AsyncResult, Pool, ThreadPool, getContext, type ImapIterator } from '../../dist/index.js';

export function square(x: number): number {
  return x * x;
}
export async function label(x: number, prefix: string): Promise<string> {
  return `${prefix}${x}`;
}

export async function checks(): Promise<void> {
  const pool = new Pool(2);
  new Pool({ processes: 2, initializer: square, initargs: [1], maxTasksPerChild: 10, context: 'thread' });
  new Pool({ context: getContext('forkserver') });
  // @ts-expect-error processes is a number
  new Pool({ processes: 'two' });

  const squares: number[] = await pool.map(square, [1, 2, 3], { chunksize: 2, onProgress: (done: number, total: number) => void [done, total] });
  // @ts-expect-error items must match the function's parameter
  await pool.map(square, ['a']);
  const labels: string[] = await pool.starmap(label, [[1, 'a'], [2, 'b']]);
  // @ts-expect-error starmap items are argument lists of the right types
  await pool.starmap(label, [['a', 1]]);
  const one: string = await pool.apply(label, [1, 'x']);
  // @ts-expect-error apply's args match the function
  await pool.apply(label, [1]);

  const result: AsyncResult<number> = pool.applyAsync(square, [3], { callback: (value: number) => void value, errorCallback: (error: Error) => void error });
  const got: number = await result.get({ timeout: 100 });
  const awaited: number = await result;
  const waited: void = await result.wait({ timeout: 10 });
  const flags: boolean[] = [result.ready(), result.successful()];
  const many: AsyncResult<number[]> = pool.mapAsync(square, [1, 2]);
  const pairs: AsyncResult<string[]> = pool.starmapAsync(label, [[1, 'a']]);

  const it: ImapIterator<number> = pool.imap(square, [1, 2, 3], { chunksize: 1, bufferSize: 4, signal: AbortSignal.timeout(1000) });
  for await (const value of it) {
    const n: number = value;
    void n;
  }
  async function* numbers(): AsyncGenerator<number> {
    yield 1;
  }
  for await (const value of pool.imapUnordered(square, numbers())) void (value satisfies number);

  pool.close();
  await pool.join();
  await pool.terminate();
  {
    await using scoped = new ThreadPool(2);
    await scoped.map(square, [1]);
  }
  const ContextPool: typeof Pool = getContext('spawn').Pool;
  void [squares, labels, one, got, awaited, waited, flags, many, pairs, ContextPool];
}
