// CommonJS programs: the package is loaded with require() (require(esm)), the main program is
// guarded with isMain(module), and targets are functions on module.exports in every shape,
// including ones made sendable with register(__filename, ...).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ALL_METHODS } from '../helpers/methods.mjs';
import { runScript } from '../helpers/run-script.mjs';

const MAIN = fileURLToPath(new URL('../fixtures/serialize/cjs/main.cjs', import.meta.url));

// [case label printed by the fixture, what it is, exit code the child ends with]
const CASES = [
  ['named', 'a function on module.exports', 5],
  ['renamed', 'a function exported under another name', 101],
  ['module.exports-function', 'a module whose module.exports is the function', 61],
  ['static-method', 'a static method of an exported class', 42],
  ['object-method', 'a method of an exported object', 10],
  ['object-arrow', 'an arrow function property of an exported object', 8],
  ['async', 'an async function', 23],
  ['constant-and-require', 'a function using a module constant and a require()', 36],
  ['registered', 'a function made sendable with register(__filename, ...)', 12],
  ['function-in-args', 'a function passed in args', 8],
  ['main-module-export', 'a function exported by the main module', 42],
  ['main-module-registered', 'a function the main module registered', 42],
  ['registered-class', 'an instance of a registerClass() class in args', 5],
];

describe('targets by reference (CommonJS)', () => {
  let result;
  const exitCodes = new Map();

  before(async () => {
    result = await runScript(MAIN, { args: [ALL_METHODS.join(',')], timeout: 60_000 });
    for (const line of result.stdout.split('\n')) {
      const match = /^case (\S+) (\S+) (-?\d+)$/.exec(line);
      if (match) exitCodes.set(`${match[1]} ${match[2]}`, Number(match[3]));
    }
  });

  it('the CommonJS main program runs to completion', () => {
    assert.equal(result.code, 0, `stderr:\n${result.stderr}`);
    assert.doesNotMatch(result.stdout, /^refused /m);
  });

  for (const method of ALL_METHODS) {
    describe(method, () => {
      for (const [label, what, expected] of CASES) {
        it(`runs ${what} in the child`, () => {
          assert.equal(exitCodes.get(`${label} ${method}`), expected, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
        });
      }
    });
  }
});
