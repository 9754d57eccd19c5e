/**
 * A parallel prefix sum (running totals) over one SharedMemory block, in two phases that meet at
 * a Barrier. The numbers are never copied between processes: each one attaches to the block by
 * name and works on its own slice of the same bytes.
 *
 *   phase 1  each process turns its slice into running totals of that slice alone, and writes
 *            the slice's total into a small table at the end of the block
 *   barrier  nobody goes on until every slice total is written
 *   phase 2  each process adds the totals of the slices before its own to every number of its slice
 *
 * The parent checks the result against a plain serial loop, then unlinks the block.
 *
 *   node out/examples/shared-memory-barrier-prefix-sum.js
 */
import { Barrier, Process, SharedMemory, isMain } from 'multiprocessing-ts';

const N = 2_000_000;
const PROCESSES = 4;

/** The [from, to) slice of `n` numbers that process `index` of `count` works on. */
function slice(n: number, index: number, count: number): [number, number] {
  return [Math.floor((n * index) / count), Math.floor((n * (index + 1)) / count)];
}

/** The block holds the n numbers, then one slice total per process. */
function views(shm: SharedMemory, n: number, count: number): { numbers: Float64Array; totals: Float64Array } {
  const all = new Float64Array(shm.buf!.buffer, 0, n + count);
  return { numbers: all.subarray(0, n), totals: all.subarray(n) };
}

/** One process's share of the job: both phases on its slice, the barrier between them. */
export async function prefixSumSlice(name: string, n: number, index: number, count: number, barrier: Barrier): Promise<void> {
  // Attaching does not copy: this process maps the same memory as the parent and the others.
  const shm = new SharedMemory({ name });
  try {
    const { numbers, totals } = views(shm, n, count);
    const [from, to] = slice(n, index, count);

    let running = 0;
    for (let i = from; i < to; i++) numbers[i] = running += numbers[i]!;
    totals[index] = running;

    // Phase 2 reads the totals the other processes wrote. The barrier makes this process wait for
    // them, and, being a synchronization point like a lock, makes their writes visible here.
    await barrier.wait();

    let offset = 0;
    for (let before = 0; before < index; before++) offset += totals[before]!;
    for (let i = from; i < to; i++) numbers[i] = numbers[i]! + offset;
  } finally {
    shm.close(); // this process's view only: the parent owns the block and unlinks it
  }
}

if (isMain(import.meta)) {
  const shm = new SharedMemory({ create: true, size: (N + PROCESSES) * Float64Array.BYTES_PER_ELEMENT });
  try {
    const { numbers } = views(shm, N, PROCESSES);
    // Whole numbers, so every partial sum is exact in a double: the parallel result, added up in
    // another order, must equal the serial one to the last bit.
    for (let i = 0; i < N; i++) numbers[i] = (i * 7919) % 1000;
    const expected = new Float64Array(N);
    let running = 0;
    for (let i = 0; i < N; i++) expected[i] = running += numbers[i]!;

    console.log(`${PROCESSES} processes, one slice each of ${N.toLocaleString('en-US')} numbers in shared memory block ${shm.name}`);
    // A timeout breaks the barrier if a process dies before it arrives: the others then fail with
    // BrokenBarrierError instead of waiting for it forever.
    const barrier = new Barrier(PROCESSES, { timeout: 30_000 });
    const processes = Array.from(
      { length: PROCESSES },
      (_, index) => new Process({ target: prefixSumSlice, args: [shm.name, N, index, PROCESSES, barrier] }),
    );
    for (const p of processes) p.start();
    for (const p of processes) await p.join();

    const failed = processes.filter((p) => p.exitCode !== 0);
    const mismatch = numbers.findIndex((value, i) => value !== expected[i]);
    if (failed.length > 0) {
      console.log(`${failed.length} processes failed (exit codes ${processes.map((p) => p.exitCode).join(', ')})`);
      process.exitCode = 1;
    } else if (mismatch !== -1) {
      console.log(`Mismatch at ${mismatch}: ${numbers[mismatch]} in shared memory, ${expected[mismatch]} serially`);
      process.exitCode = 1;
    } else {
      console.log(`Matches the serial prefix sum: ${N.toLocaleString('en-US')} running totals, the last ${numbers[N - 1]!.toLocaleString('en-US')}`);
    }
  } finally {
    // close() lets go of this process's view; unlink() removes the name from /dev/shm. Without
    // unlink the block would outlive the program (until the resource tracker cleans up, with a warning).
    shm.close();
    shm.unlink();
    console.log(`Block ${shm.name} unlinked`);
  }
}
