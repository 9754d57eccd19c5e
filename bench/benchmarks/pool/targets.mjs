// What the pool benchmark's workers run. multiprocessing-ts workers import this module to find
// their task function, and the other libraries' worker files import it too, so every pool runs
// the very same code. It holds nothing but task functions (importing it has no side effects).

/** The tiny task: x * 2. */
export function double(x) {
  return x * 2;
}

/**
 * The CPU-bound task: an integer loop of `n` iterations (~20 ms for n = 20,000,000 here).
 * Returns a value that depends on every iteration, so the loop cannot be dropped.
 */
export function spin(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + ((i * i) ^ (x >>> 3))) | 0;
  return x;
}
