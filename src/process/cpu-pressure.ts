/**
 * How busy the CPU is, for deciding whether spares may boot in the background: the share of time
 * in which runnable tasks waited for a CPU. Linux reports it as pressure stall information
 * (/proc/pressure/cpu); elsewhere the load average stands in for it.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { cpuCount } from './cpu-count.js';

const PSI_FILE = '/proc/pressure/cpu';

/** Readings closer together than this say little; farther apart than `MAX_SPAN_MS`, they describe the past. */
const MIN_SPAN_MS = 20;
const MAX_SPAN_MS = 2_000;

let psiAbsent = false;
let previous: { time: number; stalledMs: number } | null = null;
let override: (() => number) | null = null;

/** Share of recent time (0..1) in which some runnable task waited for a CPU. */
export function cpuPressure(): number {
  if (override) return override();
  if (!psiAbsent) {
    const psi = readPsi();
    if (psi !== null) return psi;
    psiAbsent = true;
  }
  return pressureFromLoad(loadavg()[0] ?? 0, cpuCount());
}

/** With `load` runnable tasks on `cpus` CPUs, the share of them that wait. */
export function pressureFromLoad(load: number, cpus: number): number {
  return load > cpus ? (load - cpus) / load : 0;
}

/** Replaces the reading (tests simulate a busy machine); `null` restores it. */
export function setCpuPressureReader(reader: (() => number) | null): void {
  override = reader;
}

function readPsi(): number | null {
  let text: string;
  try {
    // A few hundred bytes from procfs: cheaper than any asynchronous read would be.
    text = readFileSync(PSI_FILE, 'latin1');
  } catch {
    return null;
  }
  const some = /^some avg10=([\d.]+) .*total=(\d+)/m.exec(text);
  if (!some) return null;
  const now = performance.now();
  const stalledMs = Number(some[2]) / 1000;
  const span = previous ? now - previous.time : Infinity;
  // The stall since the previous reading says what is happening now; the 10-second average is
  // the best there is when that reading is too close or too old.
  const share = span >= MIN_SPAN_MS && span <= MAX_SPAN_MS ? (stalledMs - previous!.stalledMs) / span : Number(some[1]) / 100;
  if (span >= MIN_SPAN_MS) previous = { time: now, stalledMs };
  return Math.min(1, Math.max(0, share));
}
