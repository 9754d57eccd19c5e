// Spares follow the starts: a burst grows them for the next burst, a quiet period shrinks them
// back to one (ending the surplus children), and a busy CPU gets them one at a time.
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { getContext } from '../../dist/index.js';
import { setCpuPressureReader, setSpareQuietPeriod, sparesFor, whenSpares } from '../../dist/process/spare-counts.js';
import { cleanup, runnableMethods, within } from '../helpers/methods.mjs';
import { exitWith } from '../fixtures/process/tasks.mjs';

const LONG_QUIET_MS = 600_000;
const total = (counts) => counts.ready + counts.booting;

/** The spare Node processes this process has now (children still waiting to become a Process). */
function spareChildren() {
  const pids = readdirSync('/proc/self/task').flatMap((tid) =>
    readFileSync(`/proc/self/task/${tid}/children`, 'utf8').split(' ').filter(Boolean),
  );
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--spare');
    } catch {
      return false;
    }
  });
}

for (const method of runnableMethods(['forkserver', 'thread'])) {
  describe(method, () => {
    const ctx = getContext(method);

    /** Starts `count` children at once, each exiting with 7 once its target ran, and joins them. */
    async function burst(count, afterStarts = () => {}) {
      const processes = [];
      try {
        // As programs write it: the context looked up for every start (getContext() must not split the burst).
        for (let i = 0; i < count; i++) {
          const p = new (getContext(method).Process)({ target: exitWith, args: [7] });
          processes.push(p);
          p.start();
        }
        afterStarts();
        await within(Promise.all(processes.map((p) => p.join())), 30_000, `join of ${count} children`);
        assert.deepEqual(processes.map((p) => p.exitCode), processes.map(() => 7), 'every child ran its target');
      } finally {
        await cleanup(processes);
      }
    }

    // Every test starts from an idle pool: one spare, nothing booting or ending.
    beforeEach(async () => {
      setCpuPressureReader(null);
      setSpareQuietPeriod(method, 1);
      await within(whenSpares(method, (c) => total(c) === 1 && c.launching === 0 && c.ending === 0), 20_000, 'idle pool');
      setSpareQuietPeriod(method, LONG_QUIET_MS);
    });

    test('a burst of five starts leaves five spares ready, and the next burst of five boots nothing', async () => {
      // A CPU with room (the machine running the tests may be busy: then spares would not grow).
      setCpuPressureReader(() => 0);
      await burst(5);
      await within(whenSpares(method, (c) => c.ready >= 5), 30_000, 'five ready spares');
      let afterSecondBurst;
      await burst(5, () => {
        afterSecondBurst = sparesFor(method);
      });
      assert.equal(afterSecondBurst.launching, 0, 'each start of the second burst took a ready spare');
    });

    test('after a quiet period the spares shrink back to one, and the surplus children end', async () => {
      setCpuPressureReader(() => 0);
      await burst(5);
      await within(whenSpares(method, (c) => c.ready >= 3), 30_000, 'grown spares');
      if (method === 'forkserver') assert.ok(spareChildren().length >= 3);
      setSpareQuietPeriod(method, 20);
      const idle = await within(whenSpares(method, (c) => c.ending === 0 && total(c) <= 1), 20_000, 'shrunk spares');
      assert.equal(total(idle), 1, 'a used pool keeps one spare');
      if (method === 'forkserver') assert.equal(spareChildren().length, 1, 'discarded spare processes ended');
      // The one spare left serves the next start as before.
      await burst(1);
    });

    test('on a busy CPU spares boot one at a time', async () => {
      setCpuPressureReader(() => 1);
      const seen = [];
      const grown = whenSpares(method, (c) => {
        seen.push(c);
        return c.ready >= 5;
      });
      await burst(5);
      await within(grown, 60_000, 'spares grown one at a time');
      assert.ok(seen.length > 5);
      for (const counts of seen) {
        assert.ok(counts.booting <= 1, `one spare booting at most: ${JSON.stringify(counts)}`);
      }
    });
  });
}
