// TypeScript programs: run on the fly with `node --import tsx` (process children inherit the
// loader; thread children register it themselves), and compiled ahead of time by tsc, to ES
// modules (module NodeNext) and to CommonJS (target ES2015, so async functions go through
// tsc's __awaiter helper). Every export form reaches the child by reference.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runnableMethods } from '../helpers/methods.mjs';
import { runScript } from '../helpers/run-script.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/serialize/', import.meta.url));
const TSC = `${ROOT}node_modules/.bin/tsc`;
const METHODS = runnableMethods(['spawn', 'thread']);

// [case label printed by the fixtures, what it is, exit code the child ends with]
const CASES = [
  ['named', 'a named export', 5],
  ['default', 'a default export', 12],
  ['renamed', 'a renamed export', 101],
  ['static-method', 'a static method of an exported class', 42],
  ['object-method', 'a method of an exported object', 10],
  ['object-arrow', 'an arrow function property of an exported object', 8],
  ['async', 'an async function', 23],
  ['constant-and-import', 'a function using a module constant, an enum and an import', 36],
  ['registered', 'a function made sendable with register()', 12],
  ['function-in-args', 'a function passed in args', 8],
  ['main-module-export', 'a function exported by the main module', 42],
  ['main-module-registered', 'a function the main module registered', 42],
  ['registered-class', 'an instance of a registerClass() class in args', 5],
];

function parseCases(stdout) {
  const exitCodes = new Map();
  for (const line of stdout.split('\n')) {
    const match = /^case (\S+) (\S+) (-?\d+)$/.exec(line);
    if (match) exitCodes.set(`${match[1]} ${match[2]}`, Number(match[3]));
  }
  return exitCodes;
}

/** Declares one test per case and start method against the output of a fixture program. */
function checkCases(getResult, methods, cases = CASES) {
  it('the program runs to completion', () => {
    const result = getResult();
    assert.equal(result.code, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  });
  for (const method of methods) {
    for (const [label, what, expected] of cases) {
      it(`runs ${what} in a ${method} child`, () => {
        const result = getResult();
        assert.equal(parseCases(result.stdout).get(`${label} ${method}`), expected, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      });
    }
  }
}

describe('TypeScript run with node --import tsx', () => {
  const main = `${FIXTURES}ts/main.ts`;
  const tasks = `${FIXTURES}ts/tasks.ts`;
  let result;

  before(async () => {
    result = await runScript(main, { execArgv: ['--import', 'tsx'], args: [METHODS.join(',')], cwd: ROOT, timeout: 60_000 });
  });

  checkCases(() => result, METHODS, [...CASES, ['typed-destructuring', 'a function with typed destructured parameters', 6]]);

  for (const [label, definition, says] of [
    ['notExported', 'function notExported(', /it is not exported from its module/],
    ['closure', 'return function closureFn(', /closure/],
  ]) {
    it(`refuses ${label === 'closure' ? 'a closure' : 'a non-exported function'} at the call site, pointing at the .ts source line`, () => {
      const line = result.stdout.split('\n').find((l) => l.startsWith(`refused ${label} `));
      assert.ok(line, `no refusal reported; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      const { code, message } = JSON.parse(line.slice(`refused ${label} `.length));
      assert.equal(code, 'ERR_MP_PICKLING');
      const lineNumber = readFileSync(tasks, 'utf8').split('\n').findIndex((l) => l.includes(definition)) + 1;
      assert.ok(message.includes(`${tasks}:${lineNumber}:`), message);
      assert.match(message, says);
      assert.match(message, /Fix: /);
    });
  }
});

const execFileAsync = promisify(execFile);

for (const [format, description] of [
  ['esm', 'ES modules (module NodeNext, target ES2022)'],
  ['cjs', 'CommonJS (module NodeNext in a commonjs package, target ES2015)'],
]) {
  describe(`tsc output: ${description}`, () => {
    const project = `${FIXTURES}tsc/${format}`;
    // Inside the fixture's package (its package.json sets the format); ignored by git.
    const out = `${project}/.test-tmp`;
    let result;

    before(async () => {
      rmSync(out, { recursive: true, force: true });
      await execFileAsync(TSC, ['-p', project], { cwd: ROOT });
      result = await runScript(`${out}/main.js`, { args: [METHODS.join(',')], cwd: ROOT, timeout: 60_000 });
    });

    it(`tsc emitted ${format === 'esm' ? 'ES module' : 'CommonJS'} code`, () => {
      const emitted = readFileSync(`${out}/tasks.js`, 'utf8');
      if (format === 'esm') assert.match(emitted, /^export function add/m);
      else {
        assert.match(emitted, /exports\.add = add/);
        assert.match(emitted, /__awaiter/);
      }
    });

    checkCases(() => result, METHODS);
  });
}
