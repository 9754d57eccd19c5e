// The spare policy on its own: how many spares to boot or end for given starts, boots and CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BURST_WINDOW_MS, PRESSURE_LIMIT, maxSpares, peakDemand, planSpares } from '../../dist/process/spare-demand.js';
import { pressureFromLoad } from '../../dist/process/cpu-pressure.js';

/** A quiet two-CPU machine one second into the program, with nothing booted. */
function demand(overrides) {
  return {
    now: 1_000,
    takes: [],
    ready: 0,
    booting: 0,
    launching: 0,
    cpuCount: 2,
    pressure: 0,
    quietMs: 5_000,
    idleSpares: 1,
    ...overrides,
  };
}

const burst = (count, at = 990) => Array.from({ length: count }, () => at);

test('without starts the pool keeps its idle size', () => {
  assert.deepEqual(planSpares(demand({})), { target: 1, boot: 1, discard: 0 });
  assert.deepEqual(planSpares(demand({ idleSpares: 2 })), { target: 2, boot: 2, discard: 0 });
  assert.deepEqual(planSpares(demand({ ready: 1 })), { target: 1, boot: 0, discard: 0 });
});

test('a burst of five asks for five spares, booted at most one per CPU at a time', () => {
  assert.equal(planSpares(demand({ takes: burst(5) })).target, 5);
  assert.equal(planSpares(demand({ takes: burst(5), cpuCount: 2 })).boot, 2);
  assert.equal(planSpares(demand({ takes: burst(5), cpuCount: 8 })).boot, 5);
  assert.equal(planSpares(demand({ takes: burst(5), booting: 2, cpuCount: 2 })).boot, 0);
  assert.equal(planSpares(demand({ takes: burst(5), ready: 2, booting: 1, cpuCount: 2 })).boot, 1);
});

test('CPUs busy booting the children of starts boot one spare, as a refill, and no more', () => {
  assert.equal(planSpares(demand({ takes: burst(5), launching: 3, cpuCount: 2 })).boot, 1);
  assert.equal(planSpares(demand({ takes: burst(5), launching: 3, booting: 1, cpuCount: 2 })).boot, 0);
  assert.equal(planSpares(demand({ takes: burst(5), launching: 1, cpuCount: 4 })).boot, 3);
});

test('starts stamped together count as a burst, starts one after another as a stream of one', () => {
  const stream = Array.from({ length: 20 }, (_, i) => 800 + i * 10);
  assert.equal(peakDemand(stream, 1_000, 50, 5_000), 6);
  const oneAfterAnother = Array.from({ length: 100 }, (_, i) => 500 + i * 4);
  assert.equal(planSpares(demand({ takes: oneAfterAnother, cpuCount: 8 })).target, 1);
  const together = [900, 900, 900 + BURST_WINDOW_MS / 2, 900 + BURST_WINDOW_MS, 990];
  assert.equal(planSpares(demand({ takes: together, cpuCount: 8 })).target, 4);
});

test('starts older than the quiet period are forgotten and the surplus is ended', () => {
  const old = burst(5, 100);
  assert.deepEqual(planSpares(demand({ takes: old, now: 5_100, ready: 5 })), { target: 1, boot: 0, discard: 4 });
  assert.deepEqual(planSpares(demand({ takes: old, now: 5_099, ready: 5 })), { target: 5, boot: 0, discard: 0 });
});

test('never fewer than the idle size, never more than the ceiling', () => {
  assert.equal(planSpares(demand({ takes: [], ready: 3, idleSpares: 1 })).discard, 2);
  assert.equal(planSpares(demand({ takes: burst(500), cpuCount: 2 })).target, maxSpares(2));
  assert.ok(maxSpares(2) >= 5, 'a burst of five fits on a small machine');
  assert.ok(maxSpares(1_000) <= 32);
});

test('under CPU pressure at most one spare boots at a time', () => {
  const pressure = PRESSURE_LIMIT;
  assert.equal(planSpares(demand({ takes: burst(5), pressure, cpuCount: 8 })).boot, 1);
  assert.equal(planSpares(demand({ takes: burst(5), pressure, booting: 1, cpuCount: 8 })).boot, 0);
  assert.equal(planSpares(demand({ takes: burst(5), pressure, launching: 1, cpuCount: 8 })).boot, 1);
  assert.equal(planSpares(demand({ takes: burst(5), pressure: PRESSURE_LIMIT / 2, cpuCount: 8 })).boot, 5);
});

test('the load average stands in for the pressure: the share of runnable tasks without a CPU', () => {
  assert.equal(pressureFromLoad(1, 2), 0);
  assert.equal(pressureFromLoad(2, 2), 0);
  assert.equal(pressureFromLoad(4, 2), 0.5);
  assert.ok(pressureFromLoad(3, 2) >= PRESSURE_LIMIT);
});
