// The codec in one process: encode, then the transport's copy (v8 serialization as the process
// channel uses, structured clone as worker threads use), then decode. Pure data, no children.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serialize, deserialize } from 'node:v8';
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as vm from 'node:vm';
import { encode, decode, prepareDecode, registerShareable, kReduce, TAG } from '../../dist/serialize/codec.js';
import { AsyncResult, PicklingError, Process, TimeoutError, RemoteError, ProcessError, registerClass } from '../../dist/index.js';
import { add, Tasks, getHidden } from '../fixtures/serialize/esm/tasks.mjs';
import { Account, makeUnregistered, samplePoints, sampleVectors, Segment, ValidationError, Vector, Vector3 } from '../fixtures/serialize/esm/values.mjs';

const TRANSPORTS = {
  'process channel (v8 serialization)': { destination: { kind: 'process' }, copy: (value) => deserialize(serialize(value)) },
  'thread (structured clone)': { destination: { kind: 'thread' }, copy: (value) => structuredClone(value) },
};

async function roundTrip(value, { destination, copy }) {
  const encoded = encode(value, destination);
  const copied = copy(encoded);
  await prepareDecode(copied.modules);
  return decode(copied.value);
}

for (const [name, transport] of Object.entries(TRANSPORTS)) {
  describe(`codec round trip through the ${name}`, () => {
    const same = async (value) => assert.deepStrictEqual(await roundTrip(value, transport), value);

    it('keeps primitives: undefined, null, NaN, -0, Infinity, BigInt, strings', async () => {
      const out = await roundTrip([undefined, null, NaN, -0, -Infinity, 2n ** 100n, -1n, 'π\u0000😀', true], transport);
      assert.deepStrictEqual(out, [undefined, null, NaN, -0, -Infinity, 2n ** 100n, -1n, 'π\u0000😀', true]);
      assert.ok(Object.is(out[3], -0));
    });

    it('keeps Map and Set, including object keys and nesting', async () => {
      const key = { k: 1 };
      const value = { map: new Map([[key, new Set([1, 'a'])], ['b', new Map([[2n, null]])]]), set: new Set([key]) };
      const out = await roundTrip(value, transport);
      assert.deepStrictEqual(out, value);
      assert.equal([...out.map.keys()][0], [...out.set][0], 'an object used in two places stays one object');
    });

    it('keeps Date and RegExp', async () => {
      await same({ date: new Date(Date.UTC(2000, 0, 1)), re: /x(?<y>y)*/gimsuy });
    });

    it('keeps typed arrays, DataView and ArrayBuffer, each owning its bytes', async () => {
      const value = {
        u8: new Uint8Array([0, 255]),
        i32: new Int32Array([-1, 2 ** 31 - 1]),
        f32: new Float32Array([0.5]),
        f64: new Float64Array([-0, NaN]),
        big: new BigUint64Array([2n ** 64n - 1n]),
        view: new DataView(new Uint8Array([1, 2, 3, 4]).buffer),
        raw: new Uint16Array([7, 8]).buffer,
      };
      const out = await roundTrip(value, transport);
      assert.deepStrictEqual(out, value);
      for (const key of ['u8', 'i32', 'f32', 'f64', 'big', 'view']) {
        assert.equal(out[key].constructor, value[key].constructor);
        assert.equal(out[key].buffer.byteLength, out[key].byteLength, `${key} owns its buffer`);
      }
    });

    it('keeps a window on a larger buffer as its own content', async () => {
      const whole = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
      const out = await roundTrip({ part: whole.subarray(2, 5) }, transport);
      assert.deepStrictEqual([...out.part], [3, 4, 5]);
    });

    it('keeps cycles, shared references and array holes', async () => {
      const node = { name: 'n' };
      node.self = node;
      const shared = [1];
      const value = { node, pair: [shared, shared], holes: [1, , 3], deep: new Map([['node', node]]) };
      const out = await roundTrip(value, transport);
      assert.equal(out.node.self, out.node);
      assert.equal(out.deep.get('node'), out.node);
      assert.equal(out.pair[0], out.pair[1]);
      assert.ok(!(1 in out.holes));
      assert.equal(out.holes.length, 3);
    });

    it('keeps a plain object that uses the codec tag as its own key', async () => {
      await same({ [TAG]: 'fn', ref: { url: 'file:///elsewhere.mjs', name: 'x' } });
      await same({ nested: [{ [TAG]: 'error', error: 'not one' }] });
    });

    it('sends instances of exported classes with their prototype, by a reference to the class', async () => {
      const out = await roundTrip(sampleVectors(), transport);
      assert.ok(out.single instanceof Vector);
      assert.equal(out.single.norm(), 5);
      assert.ok(out.sub instanceof Vector3);
      assert.equal(out.sub.norm(), 7);
      assert.equal(out.square.area(), 9);
      assert.equal(out.pair[0], out.pair[1]);
      assert.equal(out.looped.self, out.looped);
    });

    it('keeps null-prototype objects, and plain objects made in another realm, as plain objects', async () => {
      const bare = Object.assign(Object.create(null), { a: 1 });
      const out = await roundTrip({ bare, foreign: vm.runInNewContext('({ a: 1, list: [{ b: 2 }] })') }, transport);
      // As structured clone does, a null-prototype object arrives as an ordinary one.
      assert.deepStrictEqual({ ...out.bare }, { a: 1 });
      assert.deepStrictEqual(out.foreign, { a: 1, list: [{ b: 2 }] });
    });

    it("sends a Node.js object whose state is all in its own properties (fs.Stats) as those properties", async () => {
      const stats = fs.statSync('/');
      const out = await roundTrip({ stats }, transport);
      assert.equal(Object.getPrototypeOf(out.stats), Object.prototype);
      assert.deepStrictEqual(out.stats, { ...stats });
    });

    it('sends an error whose property cannot be sent, noting that property instead', async () => {
      const error = new Error('request failed');
      error.socket = new net.Socket();
      error.status = 500;
      const out = await roundTrip(error, transport);
      assert.equal(out.message, 'request failed');
      assert.equal(out.status, 500);
      assert.equal(out.socket, '[not sent: a net.Socket (a Node.js object)]');
    });

    it('keeps an error: type, name, message, stack, code, own properties and cause chain', async () => {
      const error = new RangeError('out of range', { cause: new TypeError('because', { cause: 42 }) });
      error.code = 'ERR_OUT_OF_RANGE';
      error.details = { limit: 10n, at: new Date(0) };
      const out = await roundTrip(error, transport);
      assert.ok(out instanceof RangeError);
      assert.equal(out.name, 'RangeError');
      assert.equal(out.message, 'out of range');
      assert.equal(out.stack, error.stack);
      assert.equal(out.code, 'ERR_OUT_OF_RANGE');
      assert.deepStrictEqual(out.details, { limit: 10n, at: new Date(0) });
      assert.ok(out.cause instanceof TypeError);
      assert.equal(out.cause.message, 'because');
      assert.equal(out.cause.cause, 42);
      assert.deepStrictEqual(Object.keys(out).sort(), ['code', 'details']);
    });

    it('keeps the name of an error subclass and an explicitly undefined cause', async () => {
      const out = await roundTrip([new ValidationError('bad field', 'email'), new Error('x', { cause: undefined }), new Error('y')], transport);
      assert.equal(out[0].name, 'ValidationError');
      assert.equal(out[0].field, 'email');
      assert.ok(out[0] instanceof Error);
      assert.ok('cause' in out[1] && out[1].cause === undefined);
      assert.ok(!('cause' in out[2]));
    });

    it("keeps an AggregateError's errors", async () => {
      const out = await roundTrip(new AggregateError([new Error('a'), new TypeError('b')], 'both'), transport);
      assert.ok(out instanceof AggregateError);
      assert.equal(out.message, 'both');
      assert.deepStrictEqual(out.errors.map((e) => [e.constructor, e.message]), [
        [Error, 'a'],
        [TypeError, 'b'],
      ]);
    });

    it("rebuilds the package's errors as their own class with their code", async () => {
      const remote = new RemoteError('failed remotely');
      remote.remoteStack = 'Error: inner\n    at task';
      const out = await roundTrip([new TimeoutError('slow'), new PicklingError('unsendable'), remote], transport);
      assert.ok(out[0] instanceof TimeoutError && out[0] instanceof ProcessError);
      assert.equal(out[0].code, 'ERR_MP_TIMEOUT');
      assert.ok(out[1] instanceof PicklingError);
      assert.equal(out[1].code, 'ERR_MP_PICKLING');
      assert.ok(out[2] instanceof RemoteError);
      assert.equal(out[2].remoteStack, 'Error: inner\n    at task');
    });

    it('restores the prototype of registered classes, with shared instances and cycles', async () => {
      const out = await roundTrip(samplePoints(), transport);
      assert.equal(out.single.norm(), 5);
      assert.equal(out.single.sum, 7);
      assert.ok(out.segment instanceof Segment);
      assert.equal(out.segment.length(), 10);
      assert.equal(out.segment.from, out.sharedOrigin);
      assert.equal(out.looped.next, out.looped);
    });

    it('sends functions by reference and resolves them to the same functions', async () => {
      const out = await roundTrip({ add, twice: Tasks.twice, hidden: getHidden(), list: [add] }, transport);
      assert.equal(out.add, add);
      assert.equal(out.twice, Tasks.twice);
      assert.equal(out.hidden, getHidden());
      assert.equal(out.list[0], add);
    });
  });
}

describe('encode', () => {
  it('lists the modules the receiver must import for functions and registered classes', () => {
    const { modules } = encode([add, samplePoints()]);
    const urls = modules.map((m) => m.url);
    assert.ok(urls.includes(new URL('../fixtures/serialize/esm/tasks.mjs', import.meta.url).href), urls.join(', '));
    assert.ok(urls.includes(new URL('../fixtures/serialize/esm/values.mjs', import.meta.url).href), urls.join(', '));
    assert.equal(new Set(urls).size, urls.length, 'each module is listed once');
    assert.ok(modules.every((m) => m.format === 'module'));
  });

  it('lists no modules for plain data', () => {
    assert.deepStrictEqual(encode({ a: [1, new Map()] }).modules, []);
  });

  it('does not modify the value it encodes', () => {
    const value = { error: new TypeError('t'), list: [add], map: new Map([['k', { [TAG]: 'x' }]]) };
    value.error.code = 'E';
    const before = Object.keys(value.error);
    encode(value);
    assert.deepStrictEqual(Object.keys(value.error), before);
    assert.equal(value.list[0], add);
    assert.deepStrictEqual(value.map.get('k'), { [TAG]: 'x' });
  });

  for (const [what, value, says] of [
    ['a symbol', Symbol('s'), /Symbol\(s\)/],
    ['a Promise', Promise.resolve(), /Promise/],
    ['a WeakMap', new WeakMap(), /WeakMap/],
    ['a WeakSet', new WeakSet(), /WeakSet/],
    ['a WeakRef', new WeakRef({}), /WeakRef/],
  ]) {
    it(`refuses ${what} with PicklingError`, () => {
      assert.throws(
        () => encode({ nested: [value] }),
        (error) => error instanceof PicklingError && error.code === 'ERR_MP_PICKLING' && says.test(error.message),
      );
    });
  }
});

describe('values that cannot be sent are refused where they sit', () => {
  /** Asserts encode(value, destination, label) throws a PicklingError whose message matches every pattern. */
  function refuses(value, label, ...patterns) {
    assert.throws(
      () => encode(value, { kind: 'process' }, label),
      (error) => {
        assert.ok(error instanceof PicklingError, `expected a PicklingError, got ${error?.stack ?? error}`);
        for (const pattern of patterns) assert.match(error.message, pattern);
        return true;
      },
    );
  }

  it('a socket: what it is, where it is, and the fix (not an error about a Node.js internal)', () => {
    const socket = new net.Socket();
    refuses(
      [1, { conn: { socket } }],
      'args',
      /^Cannot send args\[1\]\.conn\.socket, a net\.Socket \(a Node\.js object\), to another process: it is tied to an open resource/,
      /Fix: pass the data it carries.*use a Pipe, Queue or Connection\.$/,
    );
  });

  it('a file stream, instead of sending it as a junk object', async () => {
    const stream = fs.createReadStream('/dev/null');
    try {
      refuses({ input: stream }, 'obj', /^Cannot send obj\.input, a fs\.ReadStream \(a Node\.js object\)/);
    } finally {
      stream.destroy();
    }
  });

  it('a built-in whose state is not in properties (URL), with how to send its data', () => {
    refuses(new Map([['home', new URL('https://example.com/')]]), 'obj', /^Cannot send obj\.get\("home"\), a URL \(a built-in object\)/, /url\.href/);
  });

  it('an instance of a class defined inside a function, or not exported, with registerClass as a fix', () => {
    class Local {}
    refuses({ item: new Local() }, 'obj', /^Cannot send obj\.item, an instance of class 'Local' \(defined at .*codec\.test\.mjs:\d+:\d+\)/, /defined inside a function/, /registerClass\(Local\)/);
    refuses([makeUnregistered()], 'args', /^Cannot send args\[0\], an instance of class 'Unregistered'/, /not exported from its module/, /export class Unregistered/);
  });

  it('an instance of an exported class whose state is in private members', () => {
    refuses({ account: new Account(10) }, 'obj', /^Cannot send obj\.account, an instance of class 'Account'/, /private members \(#balance\)/);
  });

  it("the package's objects that belong to this process: a Process, a pool's AsyncResult", () => {
    refuses([new Process()], 'args', /^Cannot send args\[0\], a Process object/);
    refuses({ pending: new AsyncResult() }, 'obj', /^Cannot send obj\.pending, an AsyncResult object/, /await it/);
  });

  it('names the place inside Sets, nested arrays and keys that are not identifiers', () => {
    refuses({ 'a key': [[0, new Set([1, Symbol('s')])]] }, 'obj', /^Cannot send obj\["a key"\]\[0\]\[1\]\[\.\.\.values\(\)\]\[1\], Symbol\(s\)/);
  });
});

describe('shareable objects', () => {
  it('travel through the reduce hook and are rebuilt by their registered type', async () => {
    const rebuilt = [];
    registerShareable('test-counter', (state) => {
      const handle = { rebuiltFrom: state };
      rebuilt.push(handle);
      return handle;
    });
    const seenDestinations = [];
    const counter = {
      id: 7,
      [kReduce](destination) {
        seenDestinations.push(destination.kind);
        return { type: 'test-counter', state: { id: this.id, created: new Date(0) } };
      },
    };
    const out = await roundTrip({ a: counter, b: counter }, TRANSPORTS['thread (structured clone)']);
    assert.deepStrictEqual(seenDestinations, ['thread'], 'reduced once, for the destination');
    assert.equal(out.a, out.b, 'one handle for one object');
    assert.deepStrictEqual(out.a, { rebuiltFrom: { id: 7, created: new Date(0) } });
    assert.equal(rebuilt.length, 1);
  });

  it('without a registered type, decoding fails with PicklingError', () => {
    const encoded = encode({ [kReduce]: () => ({ type: 'never-registered', state: null }) });
    assert.throws(() => decode(structuredClone(encoded).value), PicklingError);
  });
});

describe('registerClass', () => {
  it('refuses what is not a class with TypeError', () => {
    assert.throws(() => registerClass(42), TypeError);
    assert.throws(() => registerClass(() => {}), TypeError);
  });
});
