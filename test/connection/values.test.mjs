// send()/recv() rebuild values exactly, whichever encoding a message takes (small plain values
// travel as JSON, everything else through v8's serializer): the edge cases where JSON alone
// would change a value, shared and circular references, and both receive paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipe } from '../../dist/index.js';
import { needsAddon, within } from '../helpers/methods.mjs';

function tricky() {
  const nullProto = Object.create(null);
  nullProto.a = 1;
  const ownProto = JSON.parse('{"__proto__": {"x": 1}, "y": 2}');
  return [
    ['small plain values', [1, 'ping', true, null, { a: [1, 2, { b: 'c' }] }, '', 0, -1.5, 2 ** 53 - 1]],
    ['-0', -0],
    ['NaN, Infinity, -Infinity', [NaN, Infinity, -Infinity]],
    ['undefined at the top, in an array, in an object', [undefined, [1, undefined], { a: undefined, b: 1 }]],
    ['a sparse array', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['a null-prototype object (arrives as a plain object, as with v8)', nullProto, { a: 1 }],
    ['an own __proto__ key', ownProto],
    ['an object with a toJSON key', { toJSON: 'not a function', v: 1 }],
    ["an object with the library's own tag key", { __mp$: 'fn', ref: { url: 'file:///x.mjs' } }],
    ['a plain value larger than one small message', ['x'.repeat(40_000), { list: Array.from({ length: 500 }, (_, i) => `item ${i}`) }]],
    ['strings: unicode, lone surrogates, NUL, quotes', ['héllo wörld ✓ 😀', '\ud800', 'a\udc00b', 'a\u0000b', '"\\\n']],
    ['BigInt, Date, Map, Set, RegExp, typed arrays, Buffer', [10n ** 30n, new Date(0), new Map([[1, 'a']]), new Set(['x']), /re/g, new Float64Array([1.5]), Buffer.from('buf')]],
    ['a long array', Array.from({ length: 5000 }, (_, i) => i)],
    ['deep nesting', Array.from({ length: 100 }).reduce((inner) => ({ inner }), { leaf: true })],
    ['an Error', new RangeError('out of range')],
  ];
}

async function roundTrip(mode, value) {
  const [a, b] = Pipe();
  try {
    a.send(value);
    return mode === 'sync' ? b.recvSync() : await within(b.recv(), 5_000);
  } finally {
    a.close();
    b.close();
  }
}

for (const mode of ['async', 'sync']) {
  test(`values come back exactly (${mode === 'sync' ? 'recvSync' : 'await recv'})`, async () => {
    for (const [what, value, expected = value] of tricky()) {
      const got = await roundTrip(mode, value);
      if (value instanceof Error) {
        assert.ok(got instanceof RangeError, what);
        assert.equal(got.message, value.message, what);
        continue;
      }
      assert.deepStrictEqual(got, expected, what);
      if (what === '-0') assert.ok(Object.is(got, -0), '-0 stays -0');
      if (what === 'a sparse array') assert.equal(1 in got, false, 'the hole stays a hole');
      if (what === 'an own __proto__ key') assert.ok(Object.hasOwn(got, '__proto__'), 'an own property, not a prototype');
    }
  });

  test(`shared and circular references keep their shape (${mode})`, async () => {
    const shared = { n: 1 };
    const got = await roundTrip(mode, { x: shared, y: shared, list: [shared] });
    assert.equal(got.x, got.y, 'one object, reached twice');
    assert.equal(got.list[0], got.x);
    const cycle = { name: 'loop' };
    cycle.self = cycle;
    const back = await roundTrip(mode, cycle);
    assert.equal(back.self, back);
  });
}

test('many small messages in a row keep their order and values', async () => {
  const [a, b] = Pipe();
  try {
    for (let i = 0; i < 1000; i++) a.send(i % 7 === 0 ? [i, undefined] : [i, `m${i}`]);
    for (let i = 0; i < 1000; i++) {
      const expected = i % 7 === 0 ? [i, undefined] : [i, `m${i}`];
      assert.deepStrictEqual(i % 2 ? b.recvSync() : await within(b.recv(), 5_000), expected);
    }
  } finally {
    a.close();
    b.close();
  }
});

test('async iteration ends cleanly when the peer closes while it waits, and fails on a truncated message', needsAddon, async () => {
  const [a, b] = Pipe();
  const got = [];
  const loop = (async () => {
    for await (const value of b) got.push(value);
    return 'ended';
  })();
  a.send('first');
  await new Promise((resolve) => setImmediate(resolve));
  a.send('second');
  a.close();
  assert.equal(await within(loop, 5_000, 'iteration'), 'ended');
  assert.deepEqual(got, ['first', 'second']);
  b.close();

  const { rawPair } = await import('../fixtures/connection/raw.mjs');
  const [conn, raw] = rawPair();
  try {
    const header = Buffer.alloc(4);
    header.writeInt32BE(100);
    raw.end(Buffer.concat([header, Buffer.from('only part of it')]));
    const values = [];
    await within(
      assert.rejects(
        (async () => {
          for await (const value of conn) values.push(value);
        })(),
        /got end of file during message/,
      ),
      5_000,
    );
    assert.deepEqual(values, []);
  } finally {
    conn.close();
    raw.destroy();
  }
});

test('plain values sent faster than the peer reads arrive intact (each message keeps its own bytes)', async () => {
  const [a, b] = Pipe();
  try {
    // About 1 MB: far more than the kernel takes at once, so most of these wait in the send queue.
    const value = (i) => [i, `message ${i} `.repeat(1 + (i % 50)), { even: i % 2 === 0 }];
    for (let i = 0; i < 3000; i++) a.send(value(i));
    for (let i = 0; i < 3000; i++) assert.deepStrictEqual(await within(b.recv(), 5_000), value(i));
  } finally {
    a.close();
    b.close();
  }
});
