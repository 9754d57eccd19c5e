/** `cpuCount()`, apart from the contexts so a Pool can size itself without them. */
import { availableParallelism, cpus } from 'node:os';

/**
 * Number of CPUs of the machine (CPython's `cpu_count()`).
 * @category Processes
 */
export function cpuCount(): number {
  return cpus().length || availableParallelism();
}
