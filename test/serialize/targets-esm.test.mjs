// Targets travel by reference (module URL + export path): every export form of an ES module
// reaches the child, which imports the module and runs the same function.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forEachMethod, within, cleanup, ALL_METHODS } from '../helpers/methods.mjs';
import { runScript } from '../helpers/run-script.mjs';
import triple, {
  add,
  renamed,
  Tasks,
  helpers,
  asyncAdd,
  withDeps,
  getHidden,
  callWith,
  callNested,
  sum,
  exitWithResult,
} from '../fixtures/serialize/esm/tasks.mjs';
import anonymousDefault from '../fixtures/serialize/esm/default-arrow.mjs';

/** 1-based line of the first line of `file` containing `text`. */
function lineOf(file, text) {
  return readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1;
}

const fixture = (name) => fileURLToPath(new URL(`../fixtures/serialize/esm/${name}`, import.meta.url));

// [what, target, args, exit code the child ends with]
const TARGETS = [
  ['a named export', add, [2, 3], 5],
  ['a default export', triple, [4], 12],
  ['an anonymous default export', anonymousDefault, [1], 51],
  ['a renamed export (export { f as g })', renamed, [1], 101],
  ['a static method of an exported class', Tasks.twice, [21], 42],
  ['a method of an exported object', helpers.inc, [9], 10],
  ['an arrow function property of an exported object', helpers.dec, [9], 8],
  ['an async function (awaited before the child exits)', asyncAdd, [20, 3], 23],
  ['a function using a module constant and an import', withDeps, [2], 36],
  ['a non-exported function made sendable with register(import.meta.url, ...)', getHidden(), [5], 12],
];

// Functions inside args are sent by reference too, and are callable in the child.
const FUNCTIONS_IN_ARGS = [
  ['an exported function passed in args', callWith, [add, 4, 4], 8],
  ['a static method nested in an object, array and Map in args', callNested, [{ list: [new Map([['op', Tasks.twice]])] }, 5], 10],
  ['a pure function passed in args and called for its result', exitWithResult, [sum, 6, 7], 13],
  ['a registered function passed in args', callWith, [getHidden(), 1], 8],
];

describe('targets by reference (ES modules)', { concurrency: 3 }, () => {
  forEachMethod((ctx) => {
    const started = [];
    after(() => cleanup(started));

    async function runToExit(target, args) {
      const p = new ctx.Process({ target, args });
      started.push(p);
      p.start();
      await within(p.join(), 30_000, `join of a child running ${target.name}`);
      return p.exitCode;
    }

    for (const [what, target, args, expected] of TARGETS) {
      it(`runs ${what} in the child`, async () => {
        assert.equal(await runToExit(target, args), expected);
      });
    }

    for (const [what, target, args, expected] of FUNCTIONS_IN_ARGS) {
      it(`calls ${what}`, async () => {
        assert.equal(await runToExit(target, args), expected);
      });
    }
  });
});

describe('a main module still in top-level await', () => {
  let result;
  const lines = new Map();

  it('starts children whose targets are defined in the main module itself', async () => {
    result = await runScript(fixture('tla-main.mjs'), { args: [ALL_METHODS.join(',')], timeout: 60_000 });
    for (const line of result.stdout.split('\n')) {
      const match = /^case (.+) (spawn|forkserver|thread) (-?\d+)$/.exec(line);
      if (match) lines.set(`case ${match[1]} ${match[2]}`, Number(match[3]));
    }
    assert.equal(result.code, 0, result.stderr);
  });

  for (const [what, article] of [
    ['exported function', 'an'],
    ['exported arrow', 'an'],
    ['static method', 'a'],
    ['registered function', 'a'],
    ['method of an exported object', 'the'],
  ]) {
    for (const method of ALL_METHODS) {
      it(`runs ${article} ${what} of the main module on ${method}`, () => {
        assert.ok(result, 'the script ran');
        assert.equal(lines.get(`case ${what} ${method}`), 42, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      });
    }
  }

  it('refuses a function held by an object the main module does not export, with PicklingError', () => {
    assert.ok(result, 'the script ran');
    const line = result.stdout.split('\n').find((l) => l.startsWith('refused unexported-object '));
    assert.ok(line, `not refused; stdout:\n${result.stdout}`);
    const report = JSON.parse(line.slice('refused unexported-object '.length));
    assert.equal(report.picklingError, true);
    assert.match(report.message, /'heldArrow'/);
  });

  for (const [label, where] of [
    ['unexported-method', /^Cannot send 'run' \(defined at .*tla-main\.mjs:\d+:\d+\)/],
    ['object-with-method-in-args', /^Cannot send args\[0\]\.run, 'run' \(defined at .*tla-main\.mjs:\d+:\d+\)/],
  ]) {
    it(`refuses a method of an object the main module does not export (${label}) at start(), not in the child`, () => {
      assert.ok(result, 'the script ran');
      const line = result.stdout.split('\n').find((l) => l.startsWith(`refused ${label} `));
      assert.ok(line, `not refused; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      const report = JSON.parse(line.slice(`refused ${label} `.length));
      assert.equal(report.picklingError, true);
      assert.match(report.message, where);
      assert.match(report.message, /a method of an object \(or class\) that its module does not export/);
      assert.match(report.message, /Fix: send data, not objects with methods/);
    });
  }

  for (const when of ['before-await', 'after-await']) {
    it(`refuses a non-exported function of the main module (${when}) with PicklingError`, () => {
      assert.ok(result, 'the script ran');
      const line = result.stdout.split('\n').find((l) => l.startsWith(`refused ${when} `));
      assert.ok(line, `no refusal reported; stdout:\n${result.stdout}`);
      const report = JSON.parse(line.slice(`refused ${when} `.length));
      assert.equal(report.code, 'ERR_MP_PICKLING');
      assert.equal(report.picklingError, true);
      assert.match(report.message, /'notExportedInMain'/);
      assert.ok(report.message.includes(`${fixture('tla-main.mjs')}:${lineOf(fixture('tla-main.mjs'), 'function notExportedInMain')}:`), report.message);
      assert.match(report.message, /not exported/);
      assert.match(report.message, /Fix: export it .*register\(import\.meta\.url, \{ notExportedInMain \}\)/);
    });
  }
});
