// Arguments arrive in the child as what the parent sent: structured data, errors with their
// details, and instances of registered classes with their prototype. The child runs the
// checks (fixtures/serialize/esm/values.mjs) and exits 0 only if everything arrived intact.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
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
      assert.equal(await exitCodeOf(checkValues, [sampleValues(), new Date(NaN), makeUnregistered()]), 0, 'the child found a difference (see its stderr)');
    });

    it("errors keep name, message, stack, code, own properties, cause, subclass name and AggregateError's errors", async () => {
      const errors = sampleErrors();
      assert.equal(await exitCodeOf(checkErrors, [errors, describeErrors(errors)]), 0, 'the child found a difference (see its stderr)');
    });

    it('instances of registered classes keep their prototype: methods, getters and instanceof work', async () => {
      assert.equal(await exitCodeOf(checkPoints, [samplePoints()]), 0, 'the child found a difference (see its stderr)');
    });
  });
});
