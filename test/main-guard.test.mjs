// isMain(import.meta) / isMain(module): true only in the module Node was asked to run, false in
// modules it imports and in every child that re-imports the main module to find its target.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMain } from '../dist/index.js';
import { importedIsMain } from './fixtures/serialize/main-guard/not-main.mjs';
import { needsAddon, runnableMethods } from './helpers/methods.mjs';
import { runScript } from './helpers/run-script.mjs';

const FIXTURES = fileURLToPath(new URL('./fixtures/serialize/main-guard/', import.meta.url));

function linesOf(result) {
  return result.stdout.split('\n').filter(Boolean);
}

const METHODS = runnableMethods(['spawn', 'thread']);

/** What a child started with `method` prints: it re-imports the main module, whose guarded block does not run again. */
const childLines = (method) => [`top-level child-${method} false`, `imported child-${method} false`, `target-${method} child-${method} false`];

const EXPECTED_LINES = ['top-level MainProcess true', 'imported MainProcess false', ...METHODS.flatMap(childLines)];

for (const [format, file, guard] of [
  ['an ES module', 'is-main.mjs', 'isMain(import.meta)'],
  ['a CommonJS', 'is-main.cjs', 'isMain(module)'],
]) {
  describe(`${guard} in ${format} main program`, () => {
    let result;
    let lines;

    before(async () => {
      result = await runScript(join(FIXTURES, file), { args: [METHODS.join(',')], timeout: 30_000 });
      lines = linesOf(result);
    });

    it('the program runs to completion', () => {
      assert.equal(result.code, 0, result.stderr);
    });

    it('is true at the top level of the main module', () => {
      assert.equal(lines[0], EXPECTED_LINES[0]);
    });

    it('is false in a module the main module imports', () => {
      assert.equal(lines[1], EXPECTED_LINES[1]);
    });

    it('is false when a spawn child re-imports the main module, and the guarded block does not run there', needsAddon, () => {
      assert.deepStrictEqual(lines.slice(2, 5), childLines('spawn'));
    });

    it('is false when a thread child (same OS process, same argv) re-imports the main module', () => {
      assert.deepStrictEqual(lines.slice(2 + 3 * METHODS.indexOf('thread')), childLines('thread'));
    });
  });
}

describe('isMain through a symlink to the main program', () => {
  let dir;
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('is true when Node is started with a symlink to the main module', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mp-main-link-'));
    const link = join(dir, 'linked-main.mjs');
    symlinkSync(join(FIXTURES, 'is-main.mjs'), link);
    const result = await runScript(link, { args: [METHODS.join(',')], timeout: 30_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.deepStrictEqual(linesOf(result), EXPECTED_LINES);
  });
});

describe('isMain in this process', () => {
  it('is false for a module that was imported', () => {
    assert.equal(importedIsMain, false);
  });

  it('is false for modules that are not files', () => {
    assert.equal(isMain({ url: 'data:text/javascript,export default 1' }), false);
    assert.equal(isMain({ url: 'node:fs' }), false);
    assert.equal(isMain({ url: 'file:///no/such/module.mjs' }), false);
    assert.equal(isMain({ id: '/no/such/module.cjs', filename: '/no/such/module.cjs' }), false);
  });

  it('throws TypeError for anything but import.meta or a CommonJS module', () => {
    assert.throws(() => isMain(), TypeError);
    assert.throws(() => isMain(null), TypeError);
    assert.throws(() => isMain('file:///x.mjs'), TypeError);
    assert.throws(() => isMain({}), TypeError);
  });
});
