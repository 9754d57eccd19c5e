// Shared values and arrays: Value, Array (SharedArray), RawValue, RawArray. Translated from
// CPython's _TestValue, _TestArray and _TestSharedCTypes (test_value, test_rawvalue,
// test_getobj_getlock, test_array, test_array_from_size, test_rawarray, test_getobj_getlock_obj,
// test_sharedctypes, test_synchronize), plus the typecode table, bad input, and passing every kind
// of shared value to children of every start method as live views on the same memory.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import {
  Array as MpArray,
  Lock,
  RLock,
  RawArray,
  RawValue,
  SharedArray,
  Value,
  getContext,
} from '../../dist/index.js';
import { ALL_METHODS, cleanup, forEachMethod, within } from '../helpers/methods.mjs';
import {
  bumpViews,
  checkLocks,
  doubleAll,
  doubleRaw,
  forwardToGrandchild,
  increment,
  runningSums,
} from '../fixtures/shared/tasks.mjs';

// CPython's _TestValue.codes_values: typecode, initial value, value the child writes.
const CODES_VALUES = [
  ['i', 4343, 24234],
  ['d', 3.625, -4.25],
  ['h', -232, 234],
  ['q', 2n ** 33n, 2n ** 34n],
  ['c', 'x', 'y'],
];

const TYPED_ARRAYS = {
  b: Int8Array,
  B: Uint8Array,
  h: Int16Array,
  H: Uint16Array,
  i: Int32Array,
  I: Uint32Array,
  l: Int32Array,
  L: Uint32Array,
  q: BigInt64Array,
  Q: BigUint64Array,
  f: Float32Array,
  d: Float64Array,
  c: Uint8Array,
  u: Uint32Array,
};

const SEQ = [680, 626, 934, 821, 150, 233, 548, 982, 714, 831];

function runningSumsOf(seq) {
  const out = [...seq];
  for (let i = 1; i < out.length; i++) out[i] += out[i - 1];
  return out;
}

describe('Value and RawValue', () => {
  test('hold the value they were made with, and zero by default, as CPython test_value/test_rawvalue', () => {
    for (const [code, initial] of CODES_VALUES) {
      assert.equal(new Value(code, initial).value, initial, `Value('${code}')`);
      assert.equal(RawValue(code, initial).value, initial, `RawValue('${code}')`);
    }
    assert.equal(RawValue('d').value, 0);
    assert.equal(new Value('i').value, 0);
    assert.equal(new Value('q').value, 0n);
    assert.equal(new Value('Q').value, 0n);
    assert.equal(new Value('c').value, '\0');
    assert.equal(new Value('u').value, '\0');
  });

  test('every typecode reads back what it stores', () => {
    const samples = { b: -5, B: 250, h: -30000, H: 60000, i: -2e9, I: 4e9, l: 7, L: 8, q: -(2n ** 62n), Q: 2n ** 63n, f: 0.5, d: Math.PI, c: 'é', u: '😀' };
    for (const [code, sample] of Object.entries(samples)) {
      const v = new Value(code, sample);
      assert.equal(v.value, sample, `typecode '${code}'`);
      v.value = sample;
      assert.equal(v.value, sample, `typecode '${code}' after a write`);
    }
  });

  test("'q' and 'Q' take safe integer numbers too, and read back as bigints", () => {
    const v = new Value('q', 5);
    assert.equal(v.value, 5n);
    v.value = -3;
    assert.equal(v.value, -3n);
    assert.equal(RawValue('Q', 7).value, 7n);
  });

  test("'c' takes a latin1 character, a byte value or a one-byte Uint8Array and reads as a one-character string", () => {
    const c = new Value('c', 'A');
    c.value = 66;
    assert.equal(c.value, 'B');
    c.value = new Uint8Array([0xff]);
    assert.equal(c.value, '\xff');
  });

  test('integer values outside the range of their type wrap around, as ctypes', () => {
    const v = new Value('B', 0);
    v.value = 257;
    assert.equal(v.value, 1);
    const i = new Value('i', 2 ** 31);
    assert.equal(i.value, -(2 ** 31));
  });

  test('getLock and getObj, as CPython test_getobj_getlock', () => {
    const val1 = new Value('i', 5);
    const lock1 = val1.getLock();
    assert.ok(lock1 instanceof RLock, 'the default lock is a new RLock');
    const obj1 = val1.getObj();
    assert.equal(obj1.value, 5);
    obj1.value = 6;
    assert.equal(val1.value, 6, 'getObj() is the same memory');

    const val2 = new Value('i', 5, { lock: null });
    assert.ok(val2.getLock() instanceof RLock);
    assert.notEqual(val2.getLock(), lock1, 'each Value gets its own lock');

    const lock = new RLock();
    const val3 = new Value('i', 5, { lock });
    assert.equal(val3.getLock(), lock);
    const plain = new Lock();
    assert.equal(new Value('i', 5, { lock: plain }).getLock(), plain);

    const val4 = new Value('i', 5, { lock: false });
    assert.ok(!(val4 instanceof Value), 'lock: false returns the raw object');
    assert.equal(val4.value, 5);
    assert.equal('getLock' in val4, false);
    assert.equal('getObj' in val4, false);

    assert.throws(() => new Value('i', 5, { lock: 'navalue' }), TypeError);
    assert.throws(() => new Value('i', 5, { lock: {} }), TypeError);

    const raw = RawValue('i', 5);
    assert.equal(raw.value, 5);
    assert.equal('getLock' in raw, false);
  });

  test('every access takes the lock and releases it, as CPython Synchronized', () => {
    const calls = [];
    const probe = { acquireSync: () => (calls.push('acquire'), true), release: () => calls.push('release') };
    const v = new Value('i', 1, { lock: probe });
    v.value = 2;
    assert.equal(v.value, 2);
    assert.deepEqual(calls.splice(0), ['acquire', 'release', 'acquire', 'release']);
    const arr = new SharedArray('i', 3, { lock: probe });
    arr.set(0, 1);
    arr.get(0);
    arr.toArray();
    assert.deepEqual(calls.splice(0), ['acquire', 'release', 'acquire', 'release', 'acquire', 'release']);
    const lock = new Lock();
    const held = new Value('i', 1, { lock });
    assert.equal(held.value, 1);
    assert.equal(lock.isLocked(), false, 'the lock is free again after each access');
  });

  test('string forms name the ctypes type, as CPython reprs', () => {
    assert.equal(String(new Value('i', 5)), '<Synchronized wrapper for c_int(5)>');
    assert.equal(String(RawValue('d', 1.5)), 'c_double(1.5)');
  });
});

describe('Array and RawArray', () => {
  test('length, get, set and running sums, as CPython test_array (locally)', () => {
    for (const arr of [new MpArray('i', SEQ), RawArray('i', SEQ)]) {
      const get = (i) => (arr instanceof SharedArray ? arr.get(i) : arr[i]);
      assert.equal(arr.length, SEQ.length);
      assert.equal(get(3), SEQ[3]);
      assert.equal(get(-1), arr instanceof SharedArray ? SEQ[9] : undefined);
    }
    const arr = new SharedArray('i', SEQ);
    runningSums(arr);
    assert.deepEqual(arr.toArray(), runningSumsOf(SEQ));
    assert.deepEqual([...arr], runningSumsOf(SEQ));
  });

  test('Array is exported as both Array and SharedArray', () => {
    assert.equal(MpArray, SharedArray);
    assert.ok(new MpArray('d', 2) instanceof SharedArray);
  });

  test('a size gives that many zeroes, as CPython test_array_from_size', () => {
    for (let size = 0; size < 10; size++) {
      const arr = new SharedArray('i', size);
      assert.equal(arr.length, size);
      assert.deepEqual(arr.toArray(), new Array(size).fill(0));
      assert.deepEqual([...RawArray('i', size)], new Array(size).fill(0));
    }
    assert.deepEqual(new SharedArray('q', 2).toArray(), [0n, 0n]);
  });

  test('RawArray is the TypedArray of its typecode, over shared memory', () => {
    for (const [code, Ctor] of Object.entries(TYPED_ARRAYS)) {
      const raw = RawArray(code, 3);
      assert.equal(raw.constructor, Ctor, `typecode '${code}'`);
      assert.ok(raw.buffer instanceof SharedArrayBuffer);
      assert.equal(raw.length, 3);
      assert.equal(raw.byteOffset % Ctor.BYTES_PER_ELEMENT, 0, 'aligned to the element size');
    }
    const d = RawArray('d', [1.5, 2.5]);
    assert.deepEqual([...d], [1.5, 2.5]);
  });

  test('indexes past either end throw RangeError, non-integers TypeError', () => {
    const arr = new SharedArray('i', [1, 2, 3]);
    assert.equal(arr.get(-3), 1);
    arr.set(-1, 9);
    assert.equal(arr.get(2), 9);
    assert.throws(() => arr.get(3), RangeError);
    assert.throws(() => arr.get(-4), RangeError);
    assert.throws(() => arr.set(3, 1), { name: 'RangeError', message: /invalid index/ });
    assert.throws(() => arr.get(1.5), TypeError);
    assert.throws(() => arr.get('1'), TypeError);
    assert.throws(() => arr.set(0, 'x'), TypeError);
    assert.equal(arr.get(0), 1, 'a rejected write leaves the item as it was');
  });

  test('getLock and getObj, as CPython test_getobj_getlock_obj', () => {
    const arr1 = new SharedArray('i', [...Array(10).keys()]);
    assert.ok(arr1.getLock() instanceof RLock);
    const obj1 = arr1.getObj();
    assert.ok(obj1 instanceof Int32Array);
    obj1[0] = 42;
    assert.equal(arr1.get(0), 42, 'getObj() is the same memory');

    const arr2 = new SharedArray('i', 10, { lock: null });
    assert.ok(arr2.getLock() instanceof RLock);
    const lock = new RLock();
    assert.equal(new SharedArray('i', 10, { lock }).getLock(), lock);

    const arr4 = new SharedArray('i', [...Array(10).keys()], { lock: false });
    assert.ok(arr4 instanceof Int32Array, 'lock: false returns the raw TypedArray');
    assert.equal(arr4[9], 9);

    assert.throws(() => new SharedArray('i', 10, { lock: 'notalock' }), TypeError);
    assert.equal('getLock' in RawArray('i', 10), false);
  });

  test("'c' arrays: .value up to the first NUL, .raw the bytes, as CPython's SynchronizedString", () => {
    const s = new SharedArray('c', 10);
    assert.equal(s.value, '');
    s.value = 'hello';
    assert.equal(s.value, 'hello');
    assert.deepEqual(s.raw, new Uint8Array([104, 101, 108, 108, 111, 0, 0, 0, 0, 0]));
    s.value = 'hi';
    assert.equal(s.value, 'hi', 'a shorter value is NUL-terminated');
    assert.deepEqual([...s.raw.subarray(0, 4)], [104, 105, 0, 108]);
    s.raw = Buffer.from('HE');
    assert.equal(s.value, 'HE', '.raw overwrites only the bytes it is given');
    s.value = '0123456789';
    assert.equal(s.value, '0123456789', 'a value of the full length has no NUL');
    assert.throws(() => (s.value = '0123456789A'), { name: 'RangeError', message: 'byte string too long' });
    assert.throws(() => (s.raw = new Uint8Array(11)), RangeError);
    assert.throws(() => (s.value = 'Ā'), TypeError, 'characters above 255 must be encoded first');
    assert.throws(() => (s.value = 5), TypeError);
    assert.equal(s.get(0), '0');
    s.set(0, 'x');
    assert.equal(s.value[0], 'x');
    const init = new SharedArray('c', 'abc');
    assert.equal(init.length, 3);
    assert.equal(init.value, 'abc');
    assert.equal(new SharedArray('c', Buffer.from('xyz')).value, 'xyz');
    assert.throws(() => new SharedArray('i', 3).value, TypeError, 'only c arrays have .value');
    assert.throws(() => new SharedArray('i', 3).raw, TypeError);
  });

  test("'u' arrays hold one code point per item", () => {
    const u = new SharedArray('u', 'a€😀');
    assert.equal(u.length, 3);
    assert.deepEqual(u.toArray(), ['a', '€', '😀']);
    u.set(0, 'z');
    assert.equal(u.get(0), 'z');
    assert.throws(() => u.set(0, 'ab'), TypeError);
  });
});

describe('bad input', () => {
  test('unknown typecodes throw TypeError', () => {
    for (const bad of ['x', 'ii', '', 5, undefined, null, Int32Array, {}]) {
      assert.throws(() => new Value(bad, 0), TypeError, `Value(${String(bad)})`);
      assert.throws(() => new SharedArray(bad, 1), TypeError);
      assert.throws(() => RawValue(bad), TypeError);
      assert.throws(() => RawArray(bad, 1), TypeError);
    }
    assert.throws(() => new Value('x'), { name: 'TypeError', message: /bad typecode "x"/ });
  });

  test('negative sizes throw RangeError; non-integer sizes and non-sequences TypeError', () => {
    assert.throws(() => new SharedArray('i', -1), RangeError);
    assert.throws(() => RawArray('d', -5), RangeError);
    assert.throws(() => RawArray('d', 2.5), TypeError);
    assert.throws(() => RawArray('d', NaN), TypeError);
    assert.throws(() => RawArray('d', {}), TypeError);
    assert.throws(() => RawArray('d', null), TypeError);
    assert.throws(() => new SharedArray('i'), TypeError);
  });

  test('values of the wrong type throw TypeError', () => {
    const cases = [
      ['i', 1.5],
      ['i', '1'],
      ['i', true],
      ['i', 1n],
      ['B', NaN],
      ['q', 1.5],
      ['q', 2 ** 60],
      ['d', '1'],
      ['d', 1n],
      ['c', 'ab'],
      ['c', 'Ā'],
      ['c', 256],
      ['c', new Uint8Array(2)],
      ['u', 'ab'],
      ['u', ''],
      ['u', 65],
    ];
    for (const [code, bad] of cases) {
      assert.throws(() => new Value(code, bad), TypeError, `Value('${code}', ${String(bad)})`);
      assert.throws(() => RawValue(code, bad), TypeError);
      assert.throws(() => RawArray(code, [bad]), TypeError);
      const v = new Value(code);
      assert.throws(() => (v.value = bad), TypeError);
    }
  });

  test('options must be an object', () => {
    assert.throws(() => new Value('i', 0, 'lock'), TypeError);
    assert.throws(() => new SharedArray('i', 1, 5), TypeError);
  });
});

test('contexts offer Value, Array, RawValue and RawArray', () => {
  for (const method of ALL_METHODS) {
    const ctx = getContext(method);
    assert.equal(ctx.Value, Value);
    assert.equal(ctx.Array, SharedArray);
    assert.equal(ctx.RawValue, RawValue);
    assert.equal(ctx.RawArray, RawArray);
    assert.equal(new ctx.Value('i', 3).value, 3);
  }
});

describe('passed to children', { concurrency: 3 }, () => {
  forEachMethod((ctx, method) => {
    const started = [];
    after(() => cleanup(started));

    async function run(target, args) {
      const p = new ctx.Process({ target, args });
      started.push(p);
      p.start();
      await within(p.join(), 30_000, `join of the child running ${target.name}`);
      assert.equal(p.exitCode, 0, `the child running ${target.name} failed (see its stderr)`);
    }

    test('a child doubles Values and Arrays in place, as CPython test_synchronize', async () => {
      const x = new Value('i', 7);
      const y = new Value('d', 1 / 3);
      const z = new Value('q', 2n ** 33n);
      const arr = new SharedArray('d', [...Array(10).keys()]);
      const string = new SharedArray('c', 20);
      string.value = 'hello';
      const char = new Value('c', 'q');
      const wide = new Value('u', '€');
      await run(doubleAll, [x, y, z, arr, string, char, wide]);
      assert.equal(x.value, 14);
      assert.equal(y.value, 2 / 3);
      assert.equal(z.value, 2n ** 34n);
      assert.deepEqual(arr.toArray(), [...Array(10).keys()].map((i) => i * 2));
      assert.equal(string.value, 'hellohello');
      assert.equal(char.value, 'Q');
      assert.equal(wide.value, '😀');
    });

    test('a child doubles RawValues and RawArrays in place, as CPython test_sharedctypes(lock=False)', async () => {
      const x = RawValue('i', 7);
      const y = new Value('d', 0.25, { lock: false });
      const raw = RawArray('d', [...Array(10).keys()]);
      const bytes = new SharedArray('B', [1, 2, 3], { lock: false });
      await run(doubleRaw, [x, y, raw, bytes]);
      assert.equal(x.value, 14);
      assert.equal(y.value, 0.5);
      assert.deepEqual([...raw], [...Array(10).keys()].map((i) => i * 2));
      assert.deepEqual([...bytes], [2, 3, 4]);
    });

    test('a child computes running sums in an Array, as CPython test_array', async () => {
      const arr = new SharedArray('i', SEQ);
      await run(runningSums, [arr]);
      assert.deepEqual(arr.toArray(), runningSumsOf(SEQ));
    });

    test('a Value and an Array arrive with their shared lock', async () => {
      const lock = new RLock();
      const value = new Value('i', 0, { lock });
      const array = new SharedArray('i', 3, { lock });
      await run(checkLocks, [value, array, lock, lock]);
      assert.equal(value.value, 1);
      assert.equal(lock.acquireSync({ block: false }), true, 'the child released the lock');
      lock.release();
    });

    test('2 children x 10,000 locked increments of one Value are exact', async () => {
      const counter = new Value('i', 0);
      const children = [0, 1].map(() => new ctx.Process({ target: increment, args: [counter, 10_000] }));
      started.push(...children);
      for (const p of children) p.start();
      for (const p of children) await within(p.join(), 60_000, 'join of an incrementing child');
      assert.deepEqual(children.map((p) => p.exitCode), [0, 0]);
      assert.equal(counter.value, 20_000);
    });

    test('views on shared memory arrive as views, not copies: subarrays, DataViews, Buffers, bigint arrays', async () => {
      const raw = RawArray('i', [10, 20, 30, 40]);
      const sub = raw.subarray(2);
      const big = RawArray('q', [1n, 2n]);
      const bytes = RawArray('B', 8);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset + 4, 4);
      await run(bumpViews, [sub, big, dv, buf]);
      assert.deepEqual([...raw], [10, 20, 31, 41]);
      assert.deepEqual([...big], [2n, 3n]);
      assert.deepEqual([...bytes], [1, 0, 0, 0, 1, 1, 1, 1]);
    });

    test('a child can pass a RawArray it received on to its own child', async () => {
      const raw = RawArray('d', [0.5, 1.5]);
      await run(forwardToGrandchild, [raw, method]);
      assert.deepEqual([...raw], [1.5, 2.5]);
    });
  });
});
