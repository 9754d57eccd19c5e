// Small pool messages travel as JSON only when JSON gives back exactly what was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonExact, isV8Payload } from '../../dist/pool/json-frame.js';
import v8 from 'node:v8';

const roundTrip = (value) => JSON.parse(JSON.stringify(value));

test('values JSON rebuilds exactly are accepted, and do round-trip', () => {
  const exact = [0, 1.5, -2, 2 ** 60, 1e-300, 'text', '\ud800 lone surrogate', '', true, false, null, [], {}, [1, [2, ['x']]], { a: 1, b: [null, 's'] }, Object.assign(Object.create(null), { k: 1 })];
  for (const value of exact) {
    assert.equal(jsonExact(value), true, `accepted: ${JSON.stringify(value)}`);
    const expected = value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === null ? { ...value } : value;
    assert.deepEqual(roundTrip(value), expected);
  }
});

test('values JSON would change are refused (they go through the structured clone)', () => {
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
  const refused = [undefined, -0, NaN, Infinity, -Infinity, 10n, Symbol('s'), () => 1, [undefined], { a: undefined }, sparse, new Date(0), new Map(), new Float64Array(2), new Uint8Array(1), { toJSON: 1 }, { nested: { d: new Date() } }, { [Symbol('k')]: 1 }, Object.create({ inherited: 1 })];
  for (const value of refused) assert.equal(jsonExact(value), false, `refused: ${typeof value === 'symbol' ? 'symbol' : String(value)}`);
});

test('very deep values are refused instead of overflowing the stack', () => {
  let deep = [];
  for (let i = 0; i < 1000; i++) deep = [deep];
  assert.equal(jsonExact(deep), false);
});

test('a v8 payload is told apart from a JSON one by its first byte', () => {
  assert.equal(isV8Payload(v8.serialize([1])), true);
  for (const value of [[1], { a: 1 }, 'x', 5, null]) assert.equal(isV8Payload(Buffer.from(JSON.stringify(value))), false);
});
