// Four processes append to one managed list at once, one call at a time: a whole-program view of
// the server under contention, to run under `perf stat -e task-clock,context-switches -- node
// contention.mjs` beside `perf stat ... -- python3 contention.py` (the same with CPython, fork).
// Prints appends/s; the list's length is checked.
import { getContext, isMain } from '../../lib/package.mjs';
import { appendMany } from './contention-targets.mjs';

const PROCESSES = Number(process.env.PROCS ?? 4);
const PER_PROCESS = 3000;

if (isMain(import.meta)) {
  const ctx = getContext(process.argv[2] ?? 'forkserver');
  const manager = await ctx.Manager();
  const list = await manager.list();
  const start = performance.now();
  const children = Array.from({ length: PROCESSES }, () => new ctx.Process({ target: appendMany, args: [list, PER_PROCESS] }));
  for (const p of children) p.start();
  for (const p of children) await p.join();
  const seconds = (performance.now() - start) / 1000;
  const length = await list.len();
  await manager.shutdown();
  if (length !== PROCESSES * PER_PROCESS) throw new Error(`the list has ${length} items, not ${PROCESSES * PER_PROCESS}`);
  console.log(`multiprocessing-ts (${process.argv[2] ?? 'forkserver'}): ${Math.round(length / seconds)} appends/s from ${PROCESSES} processes`);
}
