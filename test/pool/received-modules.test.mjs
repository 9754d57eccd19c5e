// A pool result may name only modules the pool's program can reach already (loaded here, or under
// its own folders): a task returning a function of a data: URL module or of a file elsewhere fails
// with a PicklingError without that code running in the pool's process, and the pool serves on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PicklingError, getContext } from '../../dist/index.js';
import { runnableMethods, within } from '../helpers/methods.mjs';
import { dataModuleUrl, double, peerCodeRuns, returnPeerFunction, writePeerModule } from '../fixtures/serialize/peer-code.mjs';

const refused = (what) => (error) => error instanceof PicklingError && error.message.includes('Refused to import') && error.message.includes(what);

for (const method of runnableMethods(['spawn', 'thread'])) {
  describe(method, () => {
    let pool;
    let dir;
    before(() => {
      pool = new (getContext(method).Pool)(1);
      dir = mkdtempSync(join(tmpdir(), 'mp-pool-peer-'));
    });
    after(async () => {
      pool.close();
      await within(pool.join(), 20_000, 'pool join');
      rmSync(dir, { recursive: true, force: true });
    });

    test('a result naming a data: URL module fails its task without running it here; the pool serves on', async () => {
      await assert.rejects(within(pool.apply(returnPeerFunction, [dataModuleUrl()]), 20_000, 'apply'), refused('data:'));
      assert.equal(peerCodeRuns(), 0, "the worker's module did not run here");
      assert.equal(await within(pool.apply(double, [21]), 20_000, 'apply'), 42);
    });

    test("a result naming a file outside the program's folders fails its task without running it here", async () => {
      await assert.rejects(within(pool.apply(returnPeerFunction, [writePeerModule(dir)]), 20_000, 'apply'), refused('peer-module.mjs'));
      assert.equal(peerCodeRuns(), 0);
      assert.deepEqual(await within(pool.map(double, [1, 2, 3]), 20_000, 'map'), [2, 4, 6]);
    });
  });
}
