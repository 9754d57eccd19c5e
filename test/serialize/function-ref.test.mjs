// What cannot be sent by reference is refused at the call site: start() throws a PicklingError
// synchronously, naming the function, where it is defined, and how to fix it. No child starts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PicklingError, ProcessError, activeChildren } from '../../dist/index.js';
import { forEachMethod } from '../helpers/methods.mjs';
import { getUnsendable, makeClosure, makeArrowClosure, takesAnything } from '../fixtures/serialize/esm/unsendable.mjs';

const UNSENDABLE_FILE = fileURLToPath(new URL('../fixtures/serialize/esm/unsendable.mjs', import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);

/** `file:line` of the first line of `file` that contains `text`. */
function lineOf(file, text) {
  const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
  assert.ok(line > 0, `'${text}' not found in ${file}`);
  return `${file}:${line}:`;
}

const unsendable = getUnsendable();

// [what, make the function, expectations for the message]
const REFUSED_TARGETS = [
  [
    'a closure',
    () => makeClosure(1),
    { name: "'closureFn'", where: lineOf(UNSENDABLE_FILE, 'return function closureFn'), why: /closure \(defined inside another function\)/, fix: /Fix: move it to the top level of its module and export it/ },
  ],
  [
    'an arrow function made inside another function',
    () => makeArrowClosure(2),
    { name: 'an anonymous function', where: lineOf(UNSENDABLE_FILE, 'return (x) => x * k'), why: /closure|arrow function/, fix: /Fix: (move it|define it) .*top.level/ },
  ],
  [
    'an inline arrow function',
    () => {
      const inlineLambda = (x) => x + 1;
      return inlineLambda;
    },
    { name: "'inlineLambda'", where: lineOf(THIS_FILE, 'const inlineLambda ='), why: /arrow function that its module does not export/, fix: /Fix: define it as a top-level exported function/ },
  ],
  [
    'an anonymous inline arrow function',
    () => [(x) => x][0],
    { name: 'an anonymous function', where: lineOf(THIS_FILE, '() => [(x) => x][0]'), why: /arrow function that its module does not export/, fix: /Fix: define it as a top-level exported function/ },
  ],
  [
    'a non-exported top-level function',
    () => unsendable.notExported,
    { name: "'notExported'", where: lineOf(UNSENDABLE_FILE, 'function notExported('), why: /it is not exported from its module/, fix: /Fix: export it .*register\(import\.meta\.url, \{ notExported \}\)/ },
  ],
  [
    'a non-exported top-level arrow function',
    () => unsendable.notExportedArrow,
    { name: "'notExportedArrow'", where: lineOf(UNSENDABLE_FILE, 'const notExportedArrow ='), why: /arrow function that its module does not export/, fix: /Fix: define it as a top-level exported function/ },
  ],
  [
    'a bound function',
    () => takesAnything.bind(null, 1),
    { name: "'bound takesAnything'", where: lineOf(UNSENDABLE_FILE, 'export function takesAnything'), why: /bound function \(made by \.bind\(\)\)/, fix: /Fix: send the original exported function and pass the bound values in args/ },
  ],
  [
    'a built-in function (Math.max)',
    () => Math.max,
    { name: "'max'", where: null, why: /built-in function/, fix: /Fix: wrap the call in a top-level exported function/ },
  ],
  [
    'a built-in bound to its object (console.log)',
    () => console.log,
    { name: "'log'", where: null, why: /built-in function/, fix: /Fix: wrap the call in a top-level exported function/ },
  ],
  [
    'a function made by eval()',
    () => unsendable.evalMade,
    { name: "'evalMade'", where: null, why: /made by eval\(\) or new Function\(\)/, fix: /Fix: define it as a top-level exported function in a module file/ },
  ],
  [
    'a function made by new Function()',
    () => unsendable.functionMade,
    { name: "'anonymous'", where: null, why: /made by eval\(\) or new Function\(\)/, fix: /Fix: define it as a top-level exported function in a module file/ },
  ],
];

// [what, args, what the message says: where the value sits in args, what it is, the fix]
const REFUSED_ARGS = [
  ['a symbol', [Symbol('local')], /^Cannot send args\[0\], Symbol\(local\), .*Fix: send a string/],
  [
    'a symbol nested in an object, array and Map',
    [1, { deep: [new Map([['key', Symbol.for('nested')]])] }],
    /^Cannot send args\[1\]\.deep\[0\]\.get\("key"\), Symbol\(nested\), /,
  ],
  ['a Promise', [Promise.resolve(1)], /^Cannot send args\[0\], a Promise, .*Fix: await it first/],
  ['a Promise inside an object', [{ pending: new Promise(() => {}) }], /^Cannot send args\[0\]\.pending, a Promise/],
  ['a WeakMap', [new WeakMap()], /a WeakMap/],
  ['a WeakSet inside an array', [[new WeakSet()]], /^Cannot send args\[0\]\[0\], a WeakSet/],
  ['a WeakRef', [new WeakRef({})], /a WeakRef/],
  ['a closure inside args', [{ callback: makeClosure(3) }], /^Cannot send args\[0\]\.callback, 'closureFn' .*closure/],
];

function expectPicklingError(start, check) {
  let thrown;
  try {
    start();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown, 'start() did not throw');
  assert.ok(thrown instanceof PicklingError, `expected a PicklingError, got ${thrown?.stack ?? thrown}`);
  assert.ok(thrown instanceof ProcessError);
  assert.equal(thrown.code, 'ERR_MP_PICKLING');
  assert.equal(thrown.name, 'PicklingError');
  check(thrown.message);
}

describe('refused targets', () => {
  forEachMethod((ctx) => {
    for (const [what, make, expected] of REFUSED_TARGETS) {
      it(`start() refuses ${what} synchronously with a PicklingError that names it and the fix`, () => {
        const before = activeChildren().length;
        const p = new ctx.Process({ target: make(), args: [1] });
        expectPicklingError(
          () => p.start(),
          (message) => {
            assert.ok(message.startsWith(`Cannot send ${expected.name}`), message);
            if (expected.where) assert.ok(message.includes(expected.where), `expected '${expected.where}' in: ${message}`);
            else assert.doesNotMatch(message, /defined at/);
            assert.match(message, expected.why);
            assert.match(message, expected.fix);
          },
        );
        // Nothing was launched: the object is still unstarted.
        assert.equal(p.pid, null);
        assert.equal(p.isAlive(), false);
        assert.equal(activeChildren().length, before);
      });
    }
  });
});

describe('refused arguments', () => {
  forEachMethod((ctx) => {
    for (const [what, args, says] of REFUSED_ARGS) {
      it(`start() throws PicklingError for ${what} in args`, () => {
        const p = new ctx.Process({ target: takesAnything, args });
        expectPicklingError(
          () => p.start(),
          (message) => assert.match(message, says),
        );
        assert.equal(p.pid, null);
      });
    }
  });
});
