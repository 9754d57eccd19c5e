/**
 * How many spares to keep: the policy behind SparePool, free of processes, threads and clocks so
 * it can be reasoned about (and tested) on its own.
 *
 * - Demand: the most starts seen together (the pool stamps the starts of one turn of the event
 *   loop alike), over the starts of the last quiet period. A burst of N
 *   asks for N. A stream of starts one after another keeps the pool at its active size (two):
 *   each start refills its spare right away, so the next finds one ready or nearly so.
 * - Idle: once the quiet period passes without a start, demand is forgotten and the pool keeps
 *   its idle size (one spare, so a lone start stays as fast as with a ready spare); the next
 *   start makes it two again.
 * - Parallelism: one spare may always boot, as a refill after a start. More boot in parallel
 *   only while CPUs are free: one per CPU not already booting a start's child, and none beyond
 *   the one while tasks wait for the CPU, so spares take at most one core from a busy machine.
 */

/** Above this share of time with tasks waiting for a CPU, the machine has no room for spares. */
export const PRESSURE_LIMIT = 0.1;

/** Starts this close together count as one burst: stamps of one turn, give or take a clock tick. */
export const BURST_WINDOW_MS = 1;

/** What the pool sees when it decides. Times in milliseconds on one monotonic clock. */
export interface SpareDemand {
  now: number;
  /** Times of recent starts that took a spare, oldest first. */
  takes: readonly number[];
  /** Spares booted and waiting. */
  ready: number;
  /** Spares still booting, not yet taken. */
  booting: number;
  /** Started children that took a spare still booting (or booted their own): boots the user waits for. */
  launching: number;
  cpuCount: number;
  /** Share of recent time in which runnable tasks waited for a CPU (0 idle .. 1 always). */
  pressure: number;
  /** Starts older than this are forgotten. */
  quietMs: number;
  /** Spares to keep without recent starts. */
  idleSpares: number;
}

export interface SparePlan {
  /** Spares (ready or booting) the pool aims for. */
  target: number;
  /** Spares to boot now. */
  boot: number;
  /** Surplus spares to end now. */
  discard: number;
}

/** A ceiling on spares: a burst larger than this boots the rest on demand, as without spares. */
export function maxSpares(cpuCount: number): number {
  return Math.min(32, Math.max(8, 2 * cpuCount));
}

/** The most takes within any `windowMs` among the takes of the last `quietMs`. */
export function peakDemand(takes: readonly number[], now: number, windowMs: number, quietMs: number): number {
  const recent = takes.filter((time) => now - time < quietMs);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < recent.length; last++) {
    while (recent[last]! - recent[first]! > windowMs) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

export function planSpares(demand: SpareDemand): SparePlan {
  const wanted = Math.max(demand.idleSpares, peakDemand(demand.takes, demand.now, BURST_WINDOW_MS, demand.quietMs));
  const target = Math.min(maxSpares(demand.cpuCount), wanted);
  const have = demand.ready + demand.booting;
  if (have > target) return { target, boot: 0, discard: have - target };
  // On a busy CPU one spare boots at a time: at most one core's worth of boot beside the work
  // (the reading cannot tell the machine's own load from the stalls the last burst caused, so a
  // pool that stopped growing under pressure would never get ready for the next burst).
  const spareBootLimit = demand.pressure >= PRESSURE_LIMIT ? 1 : Math.max(1, demand.cpuCount - demand.launching);
  const room = spareBootLimit - demand.booting;
  return { target, boot: Math.max(0, Math.min(target - have, room)), discard: 0 };
}
