// Pool({ affinity }): workers pinned before they run anything, 'spread' one CPU each or a set per
// worker, and a replacement worker on the CPUs of the one it replaces. Checked against the
// kernel's view from inside each worker: a Barrier makes every worker run exactly one task.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Barrier, Pool, getAffinity } from '../../dist/index.js';
import { forEachMethod, needsAddon, NO_ADDON, within } from '../helpers/methods.mjs';
import { processThreads } from '../helpers/kernel-view.mjs';
import { cpusAtBarrier } from '../fixtures/pool/scheduling.mjs';

const CPUS = NO_ADDON ? [0] : getAffinity();
const sortSets = (sets) => sets.map((cpus) => JSON.stringify(cpus)).sort();

/** One report per worker, each from a different worker. */
async function reportsOfEveryWorker(ctx, pool) {
  const barrier = new ctx.Barrier(pool.processes);
  const reports = await within(pool.map(cpusAtBarrier, Array.from({ length: pool.processes }, () => barrier), { chunksize: 1 }), 30_000, 'map');
  assert.equal(new Set(reports.map((r) => `${r.pid}/${r.tid}`)).size, pool.processes, 'each task ran in a worker of its own');
  return reports;
}

/** A pool for one test, terminated after it whatever happened. */
function poolFor(t, options) {
  const pool = new Pool(options);
  t.after(() => pool.terminate());
  return pool;
}

forEachMethod((ctx, method) => {
  test("'spread': one CPU each, in turn over the CPUs this process may use", needsAddon, async (t) => {
    const pool = poolFor(t, { processes: 2, affinity: 'spread', context: ctx });
    const reports = await reportsOfEveryWorker(ctx, pool);
    const expected = [[CPUS[0]], [CPUS[1 % CPUS.length]]];
    assert.deepEqual(sortSets(reports.map((r) => r.cpus)), sortSets(expected));
    assert.deepEqual(sortSets(pool.workers.map((w) => w.getAffinity())), sortSets(expected));
    if (method !== 'thread') {
      // Every thread of each worker process, not only the one running tasks.
      for (const worker of pool.workers) {
        const sets = new Set(Object.values(processThreads(worker.pid)).map((t) => JSON.stringify(t.cpus)));
        assert.deepEqual([...sets], [JSON.stringify(worker.getAffinity())]);
      }
    }
  });

  test('a CPU set per worker; processes defaults to their number', needsAddon, async (t) => {
    const sets = [[CPUS.at(-1)], CPUS];
    const pool = poolFor(t, { affinity: sets, context: ctx });
    assert.equal(pool.processes, 2);
    const reports = await reportsOfEveryWorker(ctx, pool);
    assert.deepEqual(sortSets(reports.map((r) => r.cpus)), sortSets(sets));
  });

  test('a worker that replaces a dead one gets the CPUs of its slot', needsAddon, async (t) => {
    const sets = [[CPUS[0]], [CPUS.at(-1)]];
    const pool = poolFor(t, { processes: 2, affinity: sets, context: ctx });
    await reportsOfEveryWorker(ctx, pool);
    const [victim] = pool.workers;
    const lostCpus = victim.getAffinity();
    victim.kill();
    await within(victim.join(), 20_000, 'the killed worker');
    // The next map needs both workers at once (its Barrier): the replacement is one of them.
    const reports = await reportsOfEveryWorker(ctx, pool);
    assert.deepEqual(sortSets(reports.map((r) => r.cpus)), sortSets(sets));
    const replacement = pool.workers.find((w) => w !== victim && w.isAlive() && JSON.stringify(w.getAffinity()) === JSON.stringify(lostCpus));
    assert.ok(replacement, `a live worker on ${lostCpus} replaced ${victim.name}`);
  });

  test('affinity option errors', needsAddon, () => {
    assert.throws(() => new Pool({ processes: 3, affinity: [[0], [0]], context: ctx }), { name: 'RangeError', message: /affinity has 2 CPU sets for 3 workers/ });
    assert.throws(() => new Pool({ processes: 1, affinity: 'spreads', context: ctx }), { name: 'TypeError', message: /affinity must be 'spread' or an array of CPU sets/ });
    assert.throws(() => new Pool({ processes: 1, affinity: [[]], context: ctx }), { name: 'RangeError', message: /affinity\[0\] is empty/ });
    assert.throws(() => new Pool({ processes: 1, affinity: [0], context: ctx }), { name: 'TypeError', message: /affinity\[0\] must be an array/ });
  });
});

describe('without the native addon', { skip: !NO_ADDON && 'runs under --no-addon' }, () => {
  test('a pinned pool is refused with the clear error', () => {
    assert.throws(() => new Pool({ processes: 1, affinity: 'spread' }), { name: 'ProcessError', message: /^CPU affinity and priority need the native addon/ });
  });
});
