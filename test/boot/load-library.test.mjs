// The library loads as one bundled script with V8's code cache, kept in a folder of the user's
// own; importing the package loads none of Node's heavier built-ins.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript } from '../helpers/run-script.mjs';
import { needsAddon } from '../helpers/methods.mjs';

const REPORT = fileURLToPath(new URL('../fixtures/boot/report-load.mjs', import.meta.url));
const START_CHILD = fileURLToPath(new URL('../fixtures/boot/start-child.mjs', import.meta.url));
const WRITE_AFTER_CHILD = fileURLToPath(new URL('../fixtures/boot/write-after-child.mjs', import.meta.url));

let root;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'mp-code-cache-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
function freshFolder() {
  const folder = join(root, `cache-${++folders}`);
  mkdirSync(folder, { mode: 0o700 });
  return folder;
}

async function report(env, script = REPORT, args = []) {
  const { code, stdout, stderr } = await runScript(script, { args, env: { NODE_OPTIONS: '', ...env } });
  assert.equal(code, 0, stderr);
  return stdout.trim().split('\n').map((line) => JSON.parse(line));
}

function cacheFiles(folder) {
  return readdirSync(folder).filter((name) => name.endsWith('.cache'));
}

describe('code cache of the library', () => {
  it('the first import writes the cache, the next one compiles from it', async () => {
    const folder = freshFolder();
    const [first] = await report({ MULTIPROCESSING_TS_CACHE_DIR: folder });
    assert.equal(first.via, 'script');
    assert.equal(first.codeCache, 'missing');
    assert.deepEqual(cacheFiles(folder).map((name) => join(folder, name)), [first.cacheFile]);
    const [second] = await report({ MULTIPROCESSING_TS_CACHE_DIR: folder });
    assert.equal(second.codeCache, 'used');
    assert.equal(second.cacheFile, first.cacheFile);
  });

  it('a damaged cache file is rejected, the library still loads, and the file is written again', async () => {
    const folder = freshFolder();
    const [first] = await report({ MULTIPROCESSING_TS_CACHE_DIR: folder });
    writeFileSync(first.cacheFile, Buffer.concat([Buffer.of(1), Buffer.alloc(4096, 0xab)]));
    const [damaged] = await report({ MULTIPROCESSING_TS_CACHE_DIR: folder });
    assert.equal(damaged.codeCache, 'rejected');
    const [repaired] = await report({ MULTIPROCESSING_TS_CACHE_DIR: folder });
    assert.equal(repaired.codeCache, 'used');
  });

  it('a folder other users can write to is not used', async () => {
    const folder = freshFolder();
    chmodSync(folder, 0o777);
    const [loaded] = await report({ MULTIPROCESSING_TS_CACHE_DIR: folder });
    assert.equal(loaded.codeCache, 'off');
    assert.deepEqual(cacheFiles(folder), []);
  });

  it('MULTIPROCESSING_TS_CODE_CACHE=0 and NODE_DISABLE_COMPILE_CACHE=1 turn it off', async () => {
    for (const env of [{ MULTIPROCESSING_TS_CODE_CACHE: '0' }, { NODE_DISABLE_COMPILE_CACHE: '1' }]) {
      const folder = freshFolder();
      const [loaded] = await report({ MULTIPROCESSING_TS_CACHE_DIR: folder, ...env });
      assert.equal(loaded.codeCache, 'off', JSON.stringify(env));
      assert.deepEqual(cacheFiles(folder), []);
    }
  });

  it('a cache folder that cannot be created leaves the library loading without one', async () => {
    const blocker = join(root, 'not-a-folder');
    writeFileSync(blocker, '');
    const [loaded] = await report({ MULTIPROCESSING_TS_CACHE_DIR: join(blocker, 'cache') });
    assert.equal(loaded.codeCache, 'off');
  });

  it('with source maps enabled the library loads through Node (stack traces show the TypeScript)', async () => {
    const [loaded] = await report({ NODE_OPTIONS: '--enable-source-maps', MULTIPROCESSING_TS_CACHE_DIR: freshFolder() });
    assert.equal(loaded.via, 'require');
    assert.equal(loaded.codeCache, 'off');
  });

  it("a program's cache made at import does not replace a richer one another program's child wrote meanwhile", async () => {
    const folder = freshFolder();
    const [result] = await report({ MULTIPROCESSING_TS_CACHE_DIR: folder }, WRITE_AFTER_CHILD);
    assert.equal(result.codeCache, 'missing', 'the program found no cache, so it writes one');
    assert.equal(result.richness, 2, "the child's richer cache stays");
  });

  for (const method of ['spawn', 'forkserver', 'thread']) {
    it(`a ${method} child compiles from the cache, and rewrites it once with what it compiled to start`, method === 'thread' ? {} : needsAddon, async () => {
      const folder = freshFolder();
      const [child] = await report({ MULTIPROCESSING_TS_CACHE_DIR: folder }, START_CHILD, [method]);
      assert.equal(child.via, 'script');
      assert.ok(child.cacheFile, 'the child has a cache file');
      // Written first by the parent's import (1), then by the child once it started its target (2).
      assert.equal(readFileSync(child.cacheFile)[0], 2);
      const [again] = await report({ MULTIPROCESSING_TS_CACHE_DIR: folder }, START_CHILD, [method]);
      assert.equal(again.codeCache, 'used');
    });
  }
});

describe('importing the package', () => {
  it("loads none of Node's heavier built-in modules (crypto, net, child_process, worker_threads, inspector, v8)", async () => {
    const [loaded] = await report({ MULTIPROCESSING_TS_CACHE_DIR: freshFolder() });
    assert.deepEqual(loaded.heavyBuiltins, []);
  });
});
