// SharedMemory: named POSIX shared memory with CPython's semantics. Translated from CPython's
// _TestSharedMemory (test_shared_memory_basics, test_shared_memory_recreate,
// test_invalid_shared_memory_cration, test_shared_memory_pickle_unpickle(_dead_object),
// test_shared_memory_across_processes), plus bad input, passing to children of every start method,
// and interoperability with CPython attaching to the same segment by name, both ways.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { readdirSync } from 'node:fs';
import { serialize, deserialize } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { SharedMemory } from '../../dist/index.js';
import { encode, decode } from '../../dist/serialize/codec.js';
import { MAX_SEGMENT_BYTES } from '../../dist/shared/shared-memory.js';
import { cleanup, forEachMethod, needsAddon, NO_ADDON, within } from '../helpers/methods.mjs';
import { writeByName, writeToSent } from '../fixtures/shared/tasks.mjs';
import { hasPython, python, segmentNames } from '../fixtures/shared/python.mjs';
import { runScript } from '../helpers/run-script.mjs';

const TRACK_PROGRAM = fileURLToPath(new URL('../fixtures/shared/track-program.mjs', import.meta.url));

const names = segmentNames('mpts_shm');
after(() => assert.deepEqual(names.removeLeftovers(), [], 'every segment a test made was unlinked'));

/** Entries of /dev/shm (none without the addon: blocks then live in this process). */
const leftovers = () => (NO_ADDON ? [] : readdirSync('/dev/shm'));

/** A new segment whose name the file's cleanup knows. */
function create(options) {
  const shm = new SharedMemory({ create: true, ...options });
  names.remember(shm.name);
  return shm;
}

/** Sends a value through the codec as Process args travel (encode, copy, decode), in this process. */
function travel(value) {
  return decode(deserialize(serialize(encode(value, { kind: 'process' }))).value);
}

describe('SharedMemory', () => {
  test('create, attach by name, read and write, as CPython test_shared_memory_basics', () => {
    const name = names.next();
    const sms = new SharedMemory({ name, create: true, size: 512 });
    try {
      assert.equal(sms.name, name);
      assert.equal(sms.size, 512);
      assert.ok(sms.buf instanceof Uint8Array);
      assert.ok(sms.buf.buffer instanceof SharedArrayBuffer);
      assert.equal(sms.buf.length, 512);
      assert.ok(String(sms).includes(name));
      assert.ok(String(sms).includes('512'));
      assert.ok(names.exists(name), `/dev/shm/${name} exists`);

      sms.buf[0] = 42;
      assert.equal(sms.buf[0], 42);

      const also = new SharedMemory({ name });
      assert.equal(also.buf[0], 42);
      also.buf[1] = 7;
      assert.equal(sms.buf[1], 7, 'both handles see one memory');
      also.close();

      const same = new SharedMemory({ name, size: 20 * sms.size });
      assert.equal(same.size, 512, 'size is ignored when attaching');
      same.close();

      assert.throws(() => new SharedMemory({ name, create: true, size: 512 }), (error) => {
        assert.equal(error.name, 'FileExistsError');
        assert.equal(error.code, 'EEXIST');
        assert.ok(error instanceof Error);
        assert.match(error.message, new RegExp(name));
        return true;
      });
      assert.equal(sms.buf[0], 42, 'a failed create leaves the existing segment alone');

      assert.throws(() => new SharedMemory({ name: `${name}_notthere` }), { name: 'FileNotFoundError', code: 'ENOENT' });
    } finally {
      sms.close();
      sms.unlink();
    }
    assert.equal(names.exists(name), false, 'unlink removes the name');
    assert.throws(() => new SharedMemory({ name }), { name: 'FileNotFoundError' }, 'an unlinked name cannot be attached');
  });

  test('a segment can be unlinked only once, as CPython test_shared_memory_basics', () => {
    const name = names.next();
    const uno = new SharedMemory({ name, create: true, size: 5000 });
    assert.equal(uno.size, 5000);
    const duo = new SharedMemory({ name });
    duo.unlink();
    duo.close();
    uno.close();
    assert.throws(() => uno.unlink(), (error) => error.name === 'FileNotFoundError' && error.code === 'ENOENT' && error.syscall === 'shm_unlink');
  });

  test('without a name, create picks a fresh psm_ name each time', () => {
    const a = create({ size: 1 });
    const b = create({ size: 1 });
    try {
      assert.match(a.name, /^psm_[0-9a-f]{8}$/);
      assert.notEqual(a.name, b.name);
      assert.ok(names.exists(a.name));
    } finally {
      for (const shm of [a, b]) {
        shm.close();
        shm.unlink();
      }
    }
  });

  test('close lets go of this handle only; it is idempotent and never unlinks', () => {
    const sms = create({ size: 16 });
    const other = new SharedMemory({ name: sms.name });
    // As Node's handles after close: using it throws, and the message says how to go on.
    const closed = { name: 'ProcessError', code: 'ERR_MP_PROCESS', message: new RegExp(`SharedMemory '${sms.name}' is closed.*new SharedMemory\\(\\{ name: '${sms.name}' \\}\\)`) };
    try {
      sms.buf[3] = 3;
      sms.close();
      assert.throws(() => sms.buf, closed);
      sms.close();
      assert.throws(() => sms.buf, closed);
      assert.equal(sms.size, 16, 'size and name stay readable');
      assert.equal(other.buf[3], 3, 'other handles keep working');
      other[Symbol.dispose]();
      assert.throws(() => other.buf, { code: 'ERR_MP_PROCESS' }, 'Symbol.dispose closes');
      assert.ok(names.exists(sms.name), 'neither close nor dispose unlinks');
    } finally {
      sms.unlink();
    }
  });

  test('bad sizes, as CPython test_invalid_shared_memory_cration', () => {
    assert.throws(() => new SharedMemory({ create: true, size: -1 }), { name: 'RangeError', message: "'size' must be a positive integer" });
    assert.throws(() => new SharedMemory({ create: true, size: -2 }), RangeError);
    assert.throws(() => new SharedMemory({ name: 'anything', size: -1 }), RangeError, 'negative sizes are refused when attaching too');
    assert.throws(() => new SharedMemory({ create: true, size: 0 }), {
      name: 'RangeError',
      message: "'size' must be a positive number different from zero",
    });
    assert.throws(() => new SharedMemory({ create: true }), RangeError, 'no size is size 0');
    assert.throws(() => new SharedMemory({ create: true, size: NaN }), RangeError);
    assert.throws(() => new SharedMemory({ create: true, size: 1.5 }), RangeError);
    assert.throws(() => new SharedMemory({ create: true, size: '512' }), TypeError);
  });

  test('a size larger than buf can view is refused up front with a RangeError naming the limit, leaving nothing behind', () => {
    const name = names.next();
    const before = leftovers();
    for (const size of [MAX_SEGMENT_BYTES + 1, 8 * 2 ** 30]) {
      const message = new RegExp(`of ${size} bytes is larger than this Node.js can view.*MAX_LENGTH: ${MAX_SEGMENT_BYTES} bytes`);
      assert.throws(() => new SharedMemory({ create: true, size }), { name: 'RangeError', message });
      assert.throws(() => new SharedMemory({ name, create: true, size }), { name: 'RangeError', message });
    }
    assert.equal(names.exists(name), false);
    assert.deepEqual(leftovers().filter((entry) => !before.includes(entry)), [], 'no segment was made');
  });

  test('the largest size buf can view is made (sparse: no page is touched)', { skip: (needsAddon.skip || MAX_SEGMENT_BYTES > 2 ** 32) && 'needs /dev/shm, and a limit of at most 4 GiB' }, () => {
    const shm = create({ size: MAX_SEGMENT_BYTES });
    try {
      assert.equal(shm.size, MAX_SEGMENT_BYTES);
      assert.equal(shm.buf.length, MAX_SEGMENT_BYTES);
    } finally {
      shm.close();
      shm.unlink();
    }
  });

  test('bad names and options', () => {
    assert.throws(() => new SharedMemory(), { name: 'TypeError', message: 'name can only be omitted when create is true' });
    assert.throws(() => new SharedMemory({ create: false }), TypeError);
    assert.throws(() => new SharedMemory({ name: 'a\0b', create: true, size: 8 }), { name: 'TypeError', message: /null characters/ });
    assert.throws(() => new SharedMemory({ name: 'a\0b' }), TypeError);
    assert.throws(() => new SharedMemory({ name: 5, create: true, size: 8 }), TypeError);
    assert.throws(() => new SharedMemory({ name: 'x', create: 'yes', size: 8 }), TypeError);
    assert.throws(() => new SharedMemory({ create: true, size: 8, track: 1 }), TypeError);
    assert.throws(() => new SharedMemory('name'), TypeError);
    assert.throws(() => new SharedMemory(null), TypeError);
    assert.throws(() => new SharedMemory({ name: 'a/b', create: true, size: 8 }), (error) => typeof error.code === 'string');
  });

  test('a failed attach or create leaves nothing behind', () => {
    const name = names.next();
    assert.throws(() => new SharedMemory({ name }), { code: 'ENOENT' });
    assert.equal(names.exists(name), false);
  });

  test('travels as its name and arrives attached to the same memory, as CPython test_shared_memory_pickle_unpickle', () => {
    const sms = create({ size: 512 });
    try {
      sms.buf.set(Buffer.from('pickle'));
      const sms2 = travel(sms);
      assert.ok(sms2 instanceof SharedMemory);
      assert.notEqual(sms2, sms);
      assert.equal(sms2.name, sms.name);
      assert.equal(sms2.size, 512);
      assert.equal(Buffer.from(sms2.buf.subarray(0, 6)).toString(), 'pickle');
      sms.buf.set(Buffer.from('newval'));
      assert.equal(Buffer.from(sms2.buf.subarray(0, 6)).toString(), 'newval');
      sms2.buf.set(Buffer.from('oldval'));
      assert.equal(Buffer.from(sms.buf.subarray(0, 6)).toString(), 'oldval');
      sms2.close();
    } finally {
      sms.close();
      sms.unlink();
    }
  });

  test('an unlinked segment cannot be rebuilt, as CPython test_shared_memory_pickle_unpickle_dead_object', () => {
    const sms = create({ size: 512 });
    const encoded = deserialize(serialize(encode(sms, { kind: 'process' })));
    sms.close();
    sms.unlink();
    assert.throws(() => decode(encoded.value), { name: 'FileNotFoundError' });
  });
});

describe('passed to children', { concurrency: 3 }, () => {
  forEachMethod((ctx) => {
    const started = [];
    after(() => cleanup(started));

    async function run(target, args) {
      const p = new ctx.Process({ target, args });
      started.push(p);
      p.start();
      await within(p.join(), 30_000, `join of the child running ${target.name}`);
      assert.equal(p.exitCode, 0, `the child running ${target.name} failed (see its stderr)`);
    }

    test('a child attaches by name, or receives the SharedMemory, and writes, as CPython test_shared_memory_across_processes', async () => {
      const sms = create({ size: 512 });
      try {
        await run(writeByName, [sms.name, 'howdy']);
        assert.equal(Buffer.from(sms.buf.subarray(0, 5)).toString(), 'howdy');
        await run(writeToSent, [sms, 'HELLO']);
        assert.equal(Buffer.from(sms.buf.subarray(0, 5)).toString(), 'HELLO');
        assert.ok(names.exists(sms.name), 'children that only attached leave the segment in place');
      } finally {
        sms.close();
        sms.unlink();
      }
    });
  });
});

describe('interoperability with CPython', { skip: needsAddon.skip || (!hasPython && 'python3 with multiprocessing.shared_memory is not available') }, () => {
  test('python attaches by name to a segment made here, reads its bytes and writes back', () => {
    const sms = create({ size: 64 });
    try {
      sms.buf.set(Buffer.from('from node'));
      const out = python(
        `
shm = shared_memory.SharedMemory(name=sys.argv[1])
print(shm.size, bytes(shm.buf[:9]).decode())
shm.buf[:11] = b'from python'
shm.close()
`,
        sms.name,
      );
      assert.equal(out, '64 from node');
      assert.equal(Buffer.from(sms.buf.subarray(0, 11)).toString(), 'from python');
    } finally {
      sms.close();
      sms.unlink();
    }
  });

  test('a segment python made is attached here by name, with its size', () => {
    const name = names.next();
    python(
      `
shm = shared_memory.SharedMemory(name=sys.argv[1], create=True, size=100)
shm.buf[:5] = b'hello'
shm.buf[99] = 255
shm.close()
`,
      name,
    );
    const sms = new SharedMemory({ name });
    try {
      assert.equal(sms.size, 100);
      assert.equal(Buffer.from(sms.buf.subarray(0, 5)).toString(), 'hello');
      assert.equal(sms.buf[99], 255);
      assert.throws(() => new SharedMemory({ name, create: true, size: 10 }), { name: 'FileExistsError' });
    } finally {
      sms.close();
      sms.unlink();
    }
    assert.match(
      python(
        `
try:
    shared_memory.SharedMemory(name=sys.argv[1])
except FileNotFoundError:
    print('gone')
`,
        name,
      ),
      /gone/,
      'python sees the unlink done here',
    );
  });

  test('a random name made here is one python accepts', () => {
    const sms = create({ size: 8 });
    try {
      assert.equal(python('print(shared_memory.SharedMemory(name=sys.argv[1]).size)', sms.name), '8');
    } finally {
      sms.close();
      sms.unlink();
    }
  });
});

describe('track: what the resource tracker removes once a program has ended', needsAddon, () => {
  test('segments it created, and ones it attached to with track: true; not ones it attached to, nor track: false', async () => {
    const attach = create({ size: 8, track: false });
    const attachTracked = create({ size: 8, track: false });
    let printed = new Map();
    try {
      const result = await runScript(TRACK_PROGRAM, { args: [attach.name, attachTracked.name] });
      printed = new Map(result.stdout.trim().split('\n').map((line) => line.split(' ')));
      for (const name of printed.values()) names.remember(name);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(printed.size, 4, result.stdout);
      // The program's output closes only once its tracker has ended, its work done.
      assert.equal(names.exists(printed.get('created')), false, 'a segment the program made and left is removed');
      assert.equal(names.exists(printed.get('attachedTracked')), false, 'track: true on attach asks for removal too');
      assert.equal(names.exists(printed.get('createdUntracked')), true, 'track: false on create is left alone');
      assert.equal(names.exists(printed.get('attached')), true, 'a segment the program only attached to is left alone (gh-82300)');
      const warnings = result.stderr.split('\n').filter((line) => line.includes('resource_tracker'));
      assert.equal(warnings.length, 1, result.stderr);
      assert.ok(warnings[0].includes(printed.get('created')) && warnings[0].includes(printed.get('attachedTracked')), warnings[0]);
      assert.ok(!warnings[0].includes(printed.get('createdUntracked')) && !warnings[0].includes(attach.name), warnings[0]);
    } finally {
      attach.close();
      attach.unlink();
      attachTracked.close();
      const untracked = printed.get('createdUntracked');
      if (untracked && names.exists(untracked)) new SharedMemory({ name: untracked }).unlink();
    }
  });
});
