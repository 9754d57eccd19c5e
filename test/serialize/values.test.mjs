// Arguments arrive in the child as what the parent sent: structured data, errors with their
// details, and instances of exported or registered classes with their prototype. The child runs
// the checks (fixtures/serialize/esm/values.mjs) and exits 0 only if everything arrived intact.
// An instance of a class the child could not import is refused at start(), not sent as junk.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { PicklingError } from '../../dist/index.js';
import { forEachMethod, within, cleanup } from '../helpers/methods.mjs';
import {
  sampleValues,
  checkValues,
  makeUnregistered,
  sampleErrors,
  describeErrors,
  checkErrors,
  samplePoints,
  checkPoints,
  sampleVectors,
  checkVectors,
} from '../fixtures/serialize/esm/values.mjs';

describe('values sent to a child', { concurrency: 3 }, () => {
  forEachMethod((ctx) => {
    const started = [];
    after(() => cleanup(started));

    async function exitCodeOf(target, args) {
      const p = new ctx.Process({ target, args });
      started.push(p);
      p.start();
      await within(p.join(), 30_000, `join of the child running ${target.name}`);
      return p.exitCode;
    }

    it('Map, Set, Date, BigInt, RegExp, typed arrays, cycles, undefined, NaN and -0 arrive intact', async () => {
      assert.equal(await exitCodeOf(checkValues, [sampleValues(), new Date(NaN)]), 0, 'the child found a difference (see its stderr)');
    });

    it("errors keep name, message, stack, code, own properties, cause, subclass name and AggregateError's errors", async () => {
      const errors = sampleErrors();
      assert.equal(await exitCodeOf(checkErrors, [errors, describeErrors(errors)]), 0, 'the child found a difference (see its stderr)');
    });

    it('instances of registered classes keep their prototype: methods, getters and instanceof work', async () => {
      assert.equal(await exitCodeOf(checkPoints, [samplePoints()]), 0, 'the child found a difference (see its stderr)');
    });

    it('instances of exported classes keep their prototype without registerClass, as pickle sends them', async () => {
      assert.equal(await exitCodeOf(checkVectors, [sampleVectors()]), 0, 'the child found a difference (see its stderr)');
    });

    it("an instance of a class the child could not import fails start() naming the argument and the fix", () => {
      const p = new ctx.Process({ target: checkValues, args: [{}, { item: makeUnregistered() }] });
      assert.throws(
        () => p.start(),
        (error) =>
          error instanceof PicklingError &&
          error.message.startsWith("Cannot send args[1].item, an instance of class 'Unregistered'") &&
          /values\.mjs:\d+:\d+/.test(error.message) &&
          error.message.includes('not exported') &&
          error.message.includes('registerClass(Unregistered)'),
      );
      assert.equal(p.pid, null, 'nothing started');
    });
  });
});
