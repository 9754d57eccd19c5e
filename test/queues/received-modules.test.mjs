// A queue item may name only modules the receiving program can reach already (loaded here, or
// under its own folders): an item from another process or thread naming a data: URL module or a
// file elsewhere is refused at get() without running that code, and the queue reads on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PicklingError } from '../../dist/index.js';
import { forEachMethod, processStarter, within } from '../helpers/methods.mjs';
import { dataModuleUrl, peerCodeRuns, putPeerFunction, writePeerModule } from '../fixtures/serialize/peer-code.mjs';

const { start, join: joinChild } = processStarter();

const refused = (what) => (error) => error instanceof PicklingError && error.message.includes('Refused to import') && error.message.includes(what);

forEachMethod((ctx, method) => {
  for (const mode of ['get', 'getSync']) {
    const take = (q) => (mode === 'getSync' ? Promise.resolve().then(() => q.getSync({ timeout: 10_000 })) : within(q.get(), 10_000, 'get'));

    test(`${method}: ${mode}() refuses an item naming a data: URL module, without running it; the next item reads`, async () => {
      const q = new ctx.Queue();
      await joinChild(start(ctx, putPeerFunction, [q, dataModuleUrl()]));
      await assert.rejects(take(q), refused('data:'));
      assert.equal(peerCodeRuns(), 0, "the peer's code did not run here");
      assert.equal(await take(q), 'next item');
      assert.equal(q.empty(), true);
    });

    test(`${method}: ${mode}() refuses an item naming a file outside the program's folders, without running it`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mp-queue-peer-'));
      try {
        const q = new ctx.Queue();
        await joinChild(start(ctx, putPeerFunction, [q, writePeerModule(dir)]));
        await assert.rejects(take(q), refused('peer-module.mjs'));
        assert.equal(peerCodeRuns(), 0);
        assert.equal(await take(q), 'next item');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}, ['spawn', 'thread']);
