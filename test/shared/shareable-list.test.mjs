// ShareableList: a fixed-length list in named shared memory with CPython's slot layout.
// Translated from CPython's test_shared_memory_ShareableList_basics, _pickling and
// _zero_length_bytes-style cases, plus the byte layout itself, bad input, passing to children of
// every start method, and interoperability with CPython's ShareableList on the same segment.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { serialize, deserialize } from 'node:v8';
import { ShareableList, SharedMemory } from '../../dist/index.js';
import { encode, decode } from '../../dist/serialize/codec.js';
import { cleanup, forEachMethod, needsAddon, within } from '../helpers/methods.mjs';
import { editList } from '../fixtures/shared/tasks.mjs';
import { hasPython, python, segmentNames } from '../fixtures/shared/python.mjs';

const names = segmentNames('mpts_sl');
after(() => assert.deepEqual(names.removeLeftovers(), [], 'every segment a test made was unlinked'));

/** A new list whose segment the file's cleanup knows. */
function list(sequence, options) {
  const sl = new ShareableList(sequence, options);
  names.remember(sl.shm.name);
  return sl;
}

function release(...lists) {
  for (const sl of lists) {
    sl.shm.close();
    sl.shm.unlink();
  }
}

const bytes = (text) => new Uint8Array(Buffer.from(text));

describe('ShareableList', () => {
  test('items, format, length, index, count and changes of type, as CPython test_shared_memory_ShareableList_basics', () => {
    const sl = list(['howdy', bytes('HoWdY'), -273.154, 100, null, true, 42]);
    try {
      assert.ok(String(sl).includes(sl.shm.name));
      assert.ok(String(sl).startsWith('ShareableList(['));

      assert.throws(() => sl.get(7), { name: 'RangeError', message: 'index out of range' });
      assert.throws(() => sl.set(7, 2), { name: 'RangeError', message: 'assignment index out of range' });
      assert.throws(() => sl.get(-8), RangeError);

      sl.set(0, 'howdy');
      assert.equal(sl.format, '8s8sdqxxxxxx?xxxxxxxx?q', 'a str replacing a str keeps its format');
      assert.equal(sl.length, 7);

      assert.throws(() => sl.index('100'), { name: 'RangeError', message: '"100" not in this container' });
      assert.equal(sl.index(100), 3);

      assert.equal(sl.get(0), 'howdy');
      assert.equal(sl.get(-2), true);
      assert.deepEqual([...sl], ['howdy', bytes('HoWdY'), -273.154, 100, null, true, 42]);

      sl.set(3, 42);
      assert.equal(sl.get(3), 42);
      sl.set(4, 'some');
      assert.equal(sl.get(4), 'some');
      assert.equal(sl.format, '8s8sdq8sxxxxxxx?q');
      assert.throws(() => sl.set(4, 'far too many'), { name: 'RangeError', message: 'bytes/str item exceeds available storage' });
      assert.equal(sl.get(4), 'some');
      sl.set(0, 'encodés');
      assert.equal(sl.get(0), 'encodés', 'exactly 8 bytes of UTF-8 fit an 8-byte slot');
      assert.deepEqual(sl.get(1), bytes('HoWdY'), 'no spillage');
      assert.throws(() => sl.set(0, 'encodées'), RangeError, '9 bytes of UTF-8 do not');
      assert.deepEqual(sl.get(1), bytes('HoWdY'));
      assert.throws(() => sl.set(1, bytes('123456789')), RangeError);
      assert.deepEqual(sl.get(1), bytes('HoWdY'));

      assert.equal(sl.count(42), 2);
      assert.equal(sl.count(bytes('HoWdY')), 1);
      assert.equal(sl.count(bytes('adios')), 0);

      const duplicateName = names.next();
      const copy = list(sl, { name: duplicateName });
      try {
        assert.equal(copy.shm.name, duplicateName);
        assert.deepEqual(copy.toArray(), sl.toArray());
        // 'encodés' is 8 bytes of UTF-8: a new list gives it a 16-byte slot (slots are sized by
        // encoded length, as CPython's fix for gh-88336 does; 3.11 counted characters and cut text).
        assert.equal(copy.format, '16s8sdq8sxxxxxxx?q');
        copy.set(-1, 77);
        assert.equal(copy.get(-1), 77);
        assert.notEqual(sl.get(-1), 77);
      } finally {
        release(copy);
      }

      const tethered = new ShareableList(null, { name: sl.shm.name });
      assert.equal(tethered.shm.name, sl.shm.name);
      tethered.set(-1, 880);
      assert.equal(sl.get(-1), 880, 'a second handle attached by name shares the items');
      tethered.shm.close();
    } finally {
      release(sl);
    }
  });

  test('an empty list, made with no sequence or an empty one', () => {
    for (const sl of [list(), list([])]) {
      try {
        assert.equal(sl.length, 0);
        assert.equal(sl.format, '');
        assert.equal(sl.count('any'), 0);
        assert.throws(() => sl.index(null), RangeError);
        assert.deepEqual([...sl], []);
        assert.equal(sl.shm.size, 16);
      } finally {
        release(sl);
      }
    }
  });

  test("the byte layout is CPython's: count, offsets, data, formats, back-transform codes", () => {
    // The worked example of the protocol reference (verified against CPython).
    const sl = list([7, 'hi', bytes('ab'), 1.5, null, true]);
    try {
      assert.equal(sl.shm.size, 166);
      const raw = Buffer.from(sl.shm.buf);
      const int64 = (offset) => Number(raw.readBigInt64LE(offset));
      assert.equal(int64(0), 6);
      assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((i) => int64(8 + 8 * i)), [0, 8, 16, 24, 32, 40, 48]);
      const data = raw.subarray(64, 112);
      assert.equal(data.toString('hex'),
        '0700000000000000' + '6869000000000000' + '6162000000000000' + '000000000000f83f' + '0000000000000000' + '0000000000000001');
      const formats = raw.subarray(112, 160).toString('latin1').match(/.{8}/g).map((f) => f.replace(/\0+$/, ''));
      assert.deepEqual(formats, ['q', '8s', '8s', 'd', 'xxxxxx?x', 'xxxxxxx?']);
      assert.deepEqual([...raw.subarray(160, 166)], [0, 1, 2, 0, 3, 0]);
      assert.equal(sl.format, 'q8s8sdxxxxxx?xxxxxxxx?');
    } finally {
      release(sl);
    }
  });

  test('numbers: integers as int64 (bigints beyond safe integers), other numbers as float64', () => {
    const sl = list([1, -0.5, 2n ** 62n, -(2n ** 63n), 3n, Number.MAX_SAFE_INTEGER, NaN, Infinity, 1e300]);
    try {
      assert.equal(sl.format, 'qdqqqqddd');
      assert.deepEqual(sl.toArray(), [1, -0.5, 2n ** 62n, -(2n ** 63n), 3, Number.MAX_SAFE_INTEGER, NaN, Infinity, 1e300]);
      assert.equal(sl.count(3n), 1, 'a bigint equals the same integer number');
      sl.set(0, 2.25);
      assert.equal(sl.get(0), 2.25);
      sl.set(0, false);
      assert.equal(sl.get(0), false);
      sl.set(0, null);
      assert.equal(sl.get(0), null);
      sl.set(0, 'abcdefgh');
      assert.equal(sl.get(0), 'abcdefgh', 'a string of up to 8 bytes fits a number slot');
      assert.throws(() => sl.set(0, 'abcdefghi'), RangeError);
      assert.throws(() => sl.set(1, 2n ** 63n), RangeError, 'bigints must fit in 64 bits');
    } finally {
      release(sl);
    }
  });

  test('strings and bytes: empty ones, trailing NULs stripped, multi-byte UTF-8 sized by bytes', () => {
    const sl = list(['', new Uint8Array(0), 'abc\0\0', '€uro', bytes('x'.repeat(8))]);
    try {
      assert.equal(sl.format, '8s8s8s8s16s', 'slots are 8 * (bytes / 8 + 1)');
      assert.equal(sl.get(0), '');
      assert.deepEqual(sl.get(1), new Uint8Array(0));
      assert.equal(sl.get(2), 'abc', 'trailing NULs are stripped on reading, as CPython');
      assert.equal(sl.get(3), '€uro');
      assert.deepEqual(sl.get(4), bytes('x'.repeat(8)));
      assert.ok(sl.get(4) instanceof Uint8Array);
      sl.set(4, 'a longer string!');
      assert.equal(sl.get(4), 'a longer string!');
      assert.equal(sl.format, '8s8s8s8s16s');
    } finally {
      release(sl);
    }
  });

  test('bad input: unsupported item types, non-iterables, bad indexes, missing names', () => {
    for (const bad of [undefined, {}, [1], () => 1, Symbol('s'), new Date(0)]) {
      assert.throws(() => new ShareableList([bad]), TypeError, `an item ${String(bad?.toString?.() ?? bad)}`);
    }
    assert.throws(() => new ShareableList(5), TypeError);
    assert.throws(() => new ShareableList([1], 'name'), TypeError);
    assert.throws(() => new ShareableList(null, { name: 5 }), TypeError);
    assert.throws(() => new ShareableList(null, { name: names.next() }), { name: 'FileNotFoundError', code: 'ENOENT' });
    for (const fill of [0xff, 0x7f]) {
      const shm = new SharedMemory({ create: true, size: 8 + fill });
      names.remember(shm.name);
      try {
        shm.buf.fill(fill);
        assert.throws(() => new ShareableList(null, { name: shm.name }), { name: 'RangeError', message: /does not hold a ShareableList/ });
      } finally {
        shm.close();
        shm.unlink();
      }
    }
    const sl = list([1, 2]);
    try {
      assert.throws(() => sl.get(1.5), TypeError);
      assert.throws(() => sl.set('0', 1), TypeError);
      assert.throws(() => sl.set(0, undefined), TypeError);
      assert.throws(() => sl.set(0, {}), TypeError);
      assert.deepEqual(sl.toArray(), [1, 2], 'rejected writes change nothing');
      assert.throws(() => list([3], { name: sl.shm.name }), { name: 'FileExistsError' });
    } finally {
      release(sl);
    }
  });

  test('travels as its name and arrives attached to the same list, as CPython test_shared_memory_ShareableList_pickling', () => {
    const sl = list([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    try {
      const copy = decode(deserialize(serialize(encode(sl, { kind: 'process' }))).value);
      assert.ok(copy instanceof ShareableList);
      assert.equal(copy.shm.name, sl.shm.name);
      assert.deepEqual(copy.toArray(), sl.toArray());
      sl.set(0, 'changed');
      assert.equal(copy.get(0), 'changed');
      copy.shm.close();
    } finally {
      release(sl);
    }
  });

  test('its shm is a SharedMemory that can be attached on its own', () => {
    const sl = list([1]);
    try {
      assert.ok(sl.shm instanceof SharedMemory);
      const shm = new SharedMemory({ name: sl.shm.name });
      assert.equal(shm.size, sl.shm.size);
      shm.close();
    } finally {
      release(sl);
    }
  });

  test('once its shm is closed, reading or writing items throws an error naming the segment', () => {
    const sl = list([1, 'x']);
    const name = sl.shm.name;
    sl.shm.close();
    try {
      const closed = { code: 'ERR_MP_PROCESS', message: new RegExp(`SharedMemory '${name}' is closed`) };
      assert.throws(() => sl.get(0), closed);
      assert.throws(() => sl.set(1, 'y'), closed);
      assert.throws(() => sl.toArray(), closed);
    } finally {
      sl.shm.unlink();
    }
  });
});

describe('passed to children', { concurrency: 3 }, () => {
  forEachMethod((ctx) => {
    const started = [];
    after(() => cleanup(started));

    test('a child edits a ShareableList it was sent, and the parent sees the changes', async () => {
      const sl = list([41, 'parent', 2.5]);
      try {
        const p = new ctx.Process({ target: editList, args: [sl] });
        started.push(p);
        p.start();
        await within(p.join(), 30_000, 'join of the child editing the list');
        assert.equal(p.exitCode, 0, 'the child failed (see its stderr)');
        assert.deepEqual(sl.toArray(), [42, 'child', null]);
        assert.equal(sl.format, 'q8sxxxxxx?x');
      } finally {
        release(sl);
      }
    });
  });
});

describe('interoperability with CPython', { skip: needsAddon.skip || (!hasPython && 'python3 with multiprocessing.shared_memory is not available') }, () => {
  test('python attaches to a list made here, reads every item, and changes some', () => {
    const sl = list([7, 'hi', bytes('ab'), 1.5, null, true, -(2n ** 62n), 'héllo wörld']);
    try {
      const out = python(
        `
sl = shared_memory.ShareableList(name=sys.argv[1])
print(repr(list(sl)))
print(sl.format)
sl[0] = 'abcdefgh'
sl[1] = 3.25
sl[3] = None
sl[4] = False
sl[7] = b'bytes now'
sl.shm.close()
`,
        sl.shm.name,
      );
      const [items, format] = out.split('\n');
      assert.equal(items, "[7, 'hi', b'ab', 1.5, None, True, -4611686018427387904, 'héllo wörld']");
      assert.equal(format, 'q8s8sdxxxxxx?xxxxxxxx?q16s');
      assert.deepEqual(sl.toArray(), ['abcdefgh', 3.25, bytes('ab'), null, false, true, -(2n ** 62n), bytes('bytes now')]);
      assert.equal(sl.format, '8sd8sxxxxxx?xxxxxxxx?xxxxxxx?q16s');
    } finally {
      release(sl);
    }
  });

  test('a list python made is attached here by name, and python reads the changes made here', () => {
    const name = names.next();
    python(
      `
sl = shared_memory.ShareableList([1, 2.5, 'x' * 9, b'yy', None, True, 2**62, -1], name=sys.argv[1])
sl.shm.close()
`,
      name,
    );
    const sl = new ShareableList(null, { name });
    try {
      assert.equal(sl.length, 8);
      assert.equal(sl.format, 'qd16s8sxxxxxx?xxxxxxxx?qq');
      assert.deepEqual(sl.toArray(), [1, 2.5, 'x'.repeat(9), bytes('yy'), null, true, 2n ** 62n, -1]);
      sl.set(0, 'node');
      sl.set(4, 10n);
      sl.set(2, 'ünïcödé');
      sl.set(7, true);
      const out = python(
        `
sl = shared_memory.ShareableList(name=sys.argv[1])
print(repr(list(sl)))
sl.shm.close()
`,
        name,
      );
      assert.equal(out, "['node', 2.5, 'ünïcödé', b'yy', 10, True, 4611686018427387904, True]");
    } finally {
      release(sl);
    }
  });
});
