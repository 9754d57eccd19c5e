// One clock for every process: CLOCK_MONOTONIC, system-wide on Linux, so a timestamp taken in a
// child compares directly with one taken in its parent (Python's time.monotonic_ns() reads the
// same clock). Unlike the wall clock it never steps.

/** Nanoseconds on CLOCK_MONOTONIC, as a bigint. */
export const now = () => process.hrtime.bigint();

/** Milliseconds between two now() values, as a float. */
export const msBetween = (from, to) => Number(to - from) / 1e6;
