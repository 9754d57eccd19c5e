// The envelope of a value travelling as bytes: Connection payloads, pool link messages and queue
// items the codec encodes all use it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { PicklingError } from '../../dist/index.js';
import { defaultSerializer, loadEnvelope, modulesLoaded, openEnvelope, rebuildValue, sealEncoded, sealValue } from '../../dist/serialize/envelope.js';

const TARGET = new URL('../fixtures/serialize/envelope-target.mjs', import.meta.url).href;

test("a value JSON rebuilds exactly is 'j' + its JSON text, taken as it is", () => {
  const bytes = sealValue({ a: [1, 'two', null] });
  assert.equal(Buffer.from(bytes).toString('latin1'), 'j{"a":[1,"two",null]}');
  const envelope = openEnvelope(bytes);
  assert.deepEqual(envelope, { value: { a: [1, 'two', null] }, modules: [], asIs: true });
  assert.equal(modulesLoaded(envelope), true);
  assert.deepEqual(rebuildValue(envelope), { a: [1, 'two', null] });
});

test("an encoded value needing no modules is 'J' + JSON, or v8's [modules, value] when JSON would change it", () => {
  const json = sealEncoded({ k: 1 }, []);
  assert.equal(Buffer.from(json).toString('latin1'), 'J{"k":1}');
  assert.equal(openEnvelope(json).asIs, false);
  const date = new Date(0);
  const cloned = sealEncoded(date, []);
  assert.equal(cloned[0], 0xff);
  assert.deepEqual(v8.deserialize(cloned), [[], date]);
  assert.deepEqual(openEnvelope(cloned), { value: date, modules: [], asIs: false });
});

test('headroom: the envelope starts after room for a header, in both forms', () => {
  const small = sealEncoded([1, 2], [], false, { headroom: 4 });
  assert.equal(small.length, 4 + 'J[1,2]'.length);
  assert.equal(small.subarray(4).toString('latin1'), 'J[1,2]');
  // A typed array inside v8's form reads back whole whatever the room before it.
  const value = { numbers: new Float64Array([1.5, -2, 3]) };
  const large = sealEncoded(value, [], true, { headroom: 5 });
  const envelope = openEnvelope(large.subarray(5));
  assert.equal(envelope.asIs, true);
  assert.deepEqual([...envelope.value.numbers], [1.5, -2, 3]);
});

test('maxJson: longer JSON text goes through v8 instead', () => {
  const text = 'x'.repeat(100);
  assert.equal(sealEncoded(text, [], false, { maxJson: 1000 })[0], 0x4a);
  const bytes = sealEncoded(text, [], false, { maxJson: 50 });
  assert.equal(bytes[0], 0xff);
  assert.equal(openEnvelope(bytes).value, text);
});

test('scratch: a small JSON envelope is written into it; a bigger one gets bytes of its own', () => {
  const scratch = Buffer.alloc(64);
  const small = sealValue([1, 2, 3], undefined, scratch);
  assert.equal(small.buffer, scratch.buffer);
  assert.equal(small.toString('latin1'), 'j[1,2,3]');
  const big = sealValue('y'.repeat(100), undefined, scratch);
  assert.notEqual(big.buffer, scratch.buffer);
  assert.equal(openEnvelope(big).value, 'y'.repeat(100));
});

test('a value v8 cannot serialize throws as it is, or as a PicklingError saying `refused`', () => {
  assert.throws(() => sealEncoded({ s: Symbol('no') }, []), (error) => !(error instanceof PicklingError) && /could not be cloned/.test(error.message));
  assert.throws(
    () => sealEncoded({ s: Symbol('no') }, [], false, { refused: 'Cannot put this value here' }),
    (error) => error instanceof PicklingError && /^Cannot put this value here: /.test(error.message) && /could not be cloned/.test(error.cause?.message),
  );
});

test('modules: loadsSync refuses until they are loaded, loads imports them first; a function arrives as itself', async () => {
  const needs = [{ url: TARGET, format: 'module' }];
  const bytes = sealEncoded(['payload'], needs);
  assert.equal(bytes[0], 0xff);
  assert.equal(modulesLoaded(openEnvelope(bytes)), false);
  assert.throws(() => defaultSerializer.loadsSync(bytes), (error) => error instanceof PicklingError && error.message.includes(TARGET));
  assert.deepEqual(await defaultSerializer.loads(bytes), ['payload']);
  assert.deepEqual(defaultSerializer.loadsSync(bytes), ['payload']);
  // Values taken as they are still wait for their modules.
  assert.deepEqual(await loadEnvelope(openEnvelope(sealEncoded({ raw: 1 }, needs, true))), { raw: 1 });

  const { double } = await import(TARGET);
  const sent = defaultSerializer.dumps({ fn: double, n: 21 });
  assert.ok(sent instanceof Uint8Array);
  const received = await defaultSerializer.loads(sent);
  assert.equal(received.fn, double);
  assert.equal(received.fn(received.n), 42);
});

test('dumps refuses what the codec cannot send with a PicklingError', () => {
  assert.throws(() => defaultSerializer.dumps({ f: () => 1 }), PicklingError);
});
