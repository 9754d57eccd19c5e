// Small messages travel as JSON only when JSON gives back exactly what v8's serializer would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { jsonExact } from '../../dist/serialize/json-exact.js';

const viaJson = (value) => JSON.parse(JSON.stringify(value));
const viaV8 = (value) => v8.deserialize(v8.serialize(value));

test('values JSON rebuilds exactly are accepted, and both ways give the same value', () => {
  const exact = [0, 1.5, -2, 2 ** 60, 1e-300, 'text', '\ud800 lone surrogate', '', true, false, null, [], {}, [1, [2, ['x']]], { a: 1, b: [null, 's'] }, [{ a: 1 }, { a: 1 }]];
  for (const value of exact) {
    assert.equal(jsonExact(value), true, `accepted: ${JSON.stringify(value)}`);
    assert.deepEqual(viaJson(value), viaV8(value));
  }
  assert.equal(jsonExact(Object.assign(Object.create(null), { k: 1 })), true);
});

test('values JSON would change are refused (they go through v8 serializer)', () => {
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
  const extra = Object.assign([1, 2], { extra: true });
  const shared = { x: 1 };
  const refused = [undefined, -0, NaN, Infinity, -Infinity, 10n, Symbol('s'), () => 1, [undefined], { a: undefined }, sparse, extra, [shared, shared], new Date(0), new Map(), new Float64Array(2), new Uint8Array(1), { toJSON: 1 }, { nested: { d: new Date() } }, { [Symbol('k')]: 1 }, Object.create({ inherited: 1 }), JSON.parse('{"__proto__": 1}'), { __mp$: 'fn' }];
  for (const [i, value] of refused.entries()) assert.equal(jsonExact(value), false, `refused #${i}`);
});

test('deep or large values are refused instead of walked (v8 serializer is as fast for them)', () => {
  let deep = [];
  for (let i = 0; i < 1000; i++) deep = [deep];
  assert.equal(jsonExact(deep), false);
  assert.equal(jsonExact(Array.from({ length: 5000 }, (_, i) => i)), false);
});

test('a character limit refuses values whose strings and keys alone exceed it, and only those', () => {
  const value = { ab: ['x'.repeat(60), 'y'.repeat(36)] };
  assert.equal(jsonExact(value, 98), true, 'keys + strings = 98 characters: at the limit');
  assert.equal(jsonExact(value, 97), false);
  assert.ok(JSON.stringify(value).length > 98, 'the JSON text is never shorter than the characters counted');
  assert.equal(jsonExact(['z'.repeat(70_000)], 64 * 1024), false);
  assert.equal(jsonExact(['z'.repeat(70_000)]), true, 'no limit given: size of strings alone does not refuse');
});
