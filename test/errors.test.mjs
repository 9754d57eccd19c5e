// The package's error classes: each has its own stable code, all extend ProcessError, and
// `instanceof` works across duplicate copies of the package.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as mp from '../dist/index.js';

const {
  ProcessError,
  TimeoutError,
  AuthenticationError,
  BufferTooShortError,
  QueueEmptyError,
  QueueFullError,
  BrokenBarrierError,
  EOFError,
  RemoteError,
  WorkerLostError,
  PicklingError,
  AbortError,
} = mp;

const CODES = {
  ProcessError: 'ERR_MP_PROCESS',
  TimeoutError: 'ERR_MP_TIMEOUT',
  AuthenticationError: 'ERR_MP_AUTHENTICATION',
  BufferTooShortError: 'ERR_MP_BUFFER_TOO_SHORT',
  QueueEmptyError: 'ERR_MP_QUEUE_EMPTY',
  QueueFullError: 'ERR_MP_QUEUE_FULL',
  BrokenBarrierError: 'ERR_MP_BROKEN_BARRIER',
  EOFError: 'ERR_MP_EOF',
  RemoteError: 'ERR_MP_REMOTE',
  WorkerLostError: 'ERR_MP_WORKER_LOST',
  PicklingError: 'ERR_MP_PICKLING',
};

/** An instance of each class, made with the arguments its constructor takes. */
function makeError(errors, name, message = `a ${name}`) {
  const Cls = errors[name];
  if (name === 'BufferTooShortError') return new Cls(new Uint8Array([1, 2, 3]), message);
  if (name === 'WorkerLostError') return new Cls(message, { exitCode: null, signal: 'SIGKILL' });
  return new Cls(message);
}

describe('error classes', () => {
  it('are all exported from the package root', () => {
    for (const name of Object.keys(CODES)) assert.equal(typeof mp[name], 'function', name);
  });

  it('each have their own distinct code', () => {
    const codes = Object.keys(CODES).map((name) => makeError(mp, name).code);
    assert.deepStrictEqual(codes, Object.values(CODES));
    assert.equal(new Set(codes).size, codes.length);
  });

  for (const name of Object.keys(CODES)) {
    it(`${name}: code ${CODES[name]}, name, message, Error and ProcessError ancestry`, () => {
      const error = makeError(mp, name, 'what happened');
      assert.equal(error.code, CODES[name]);
      assert.equal(error.name, name);
      assert.equal(error.message, 'what happened');
      assert.ok(error instanceof Error);
      assert.ok(error instanceof ProcessError);
      assert.ok(error instanceof mp[name]);
      assert.ok(Object.getPrototypeOf(mp[name].prototype) === ProcessError.prototype || name === 'ProcessError');
      assert.match(error.stack, new RegExp(`^${name}: what happened\\n`));
      assert.ok(!Object.keys(error).includes('name'), 'name is not an own enumerable property');
    });
  }

  it('are not instances of their sibling classes', () => {
    for (const a of Object.keys(CODES)) {
      for (const b of Object.keys(CODES)) {
        if (a === b || b === 'ProcessError') continue;
        assert.equal(makeError(mp, a) instanceof mp[b], false, `${a} instanceof ${b}`);
      }
    }
  });

  it('accept a cause', () => {
    const cause = new Error('root');
    assert.equal(new TimeoutError('slow', { cause }).cause, cause);
    assert.equal(new ProcessError('failed', { cause: 'text' }).cause, 'text');
  });

  it('carry their extra fields: BufferTooShortError.data, WorkerLostError.exitCode/signal, RemoteError.remoteStack', () => {
    const data = new Uint8Array([1, 2, 3]);
    assert.equal(new BufferTooShortError(data).data, data);
    const lost = new WorkerLostError('worker died', { exitCode: 3, signal: null });
    assert.equal(lost.exitCode, 3);
    assert.equal(lost.signal, null);
    assert.equal(new RemoteError('x').remoteStack, '');
  });

  it('a user subclass keeps the code and ancestry of its base', () => {
    class DeadlineError extends TimeoutError {}
    const error = new DeadlineError('late');
    assert.ok(error instanceof DeadlineError && error instanceof TimeoutError && error instanceof ProcessError);
    assert.equal(error.code, 'ERR_MP_TIMEOUT');
    assert.equal(error instanceof QueueEmptyError, false);
  });

  it("a user class that shares a package class's name is not an instance of it", () => {
    // Only the package's own classes answer for errors of other copies; a namesake is matched as usual.
    class TimeoutError extends ProcessError {}
    class EOFError extends ProcessError {}
    const namesakes = [new TimeoutError('mine'), new EOFError('mine')];
    for (const error of namesakes) {
      assert.equal(error instanceof mp.TimeoutError, false, error.name);
      assert.equal(error instanceof mp.EOFError, false, error.name);
      assert.ok(error instanceof ProcessError, 'still a ProcessError');
      assert.equal(error.code, 'ERR_MP_PROCESS');
    }
    assert.ok(namesakes[0] instanceof TimeoutError);
  });

  it('AbortError follows Node: name AbortError, code ABORT_ERR', () => {
    const error = new AbortError();
    assert.equal(error.name, 'AbortError');
    assert.equal(error.code, 'ABORT_ERR');
    assert.ok(error instanceof Error);
  });

  it('non-errors are not instances', () => {
    for (const value of [null, undefined, 0, 'ProcessError', {}, { name: 'TimeoutError', code: 'ERR_MP_TIMEOUT' }, new Error('plain'), new TypeError('t'), Object.create(Error.prototype)]) {
      assert.equal(value instanceof ProcessError, false, String(value?.name ?? value));
      assert.equal(value instanceof TimeoutError, false);
    }
  });
});

describe('instanceof across duplicate copies of the package', () => {
  let dir;
  let other;

  before(async () => {
    // A second copy of the package's code, as a second install of the package would bring.
    dir = mkdtempSync(join(tmpdir(), 'mp-errors-copy-'));
    cpSync(new URL('../dist', import.meta.url), join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'multiprocessing-ts-copy', type: 'module' }));
    other = await import(pathToFileURL(join(dir, 'dist', 'errors.js')).href);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the copy is a distinct module with distinct classes', () => {
    assert.notEqual(other.TimeoutError, TimeoutError);
    assert.notEqual(other.ProcessError, ProcessError);
  });

  for (const name of Object.keys(CODES)) {
    it(`${name} made by one copy is an instance of the other copy's class, both ways`, () => {
      const mine = makeError(mp, name);
      const theirs = makeError(other, name);
      assert.ok(mine instanceof other[name], `this copy's ${name} instanceof the other's`);
      assert.ok(theirs instanceof mp[name], `the other copy's ${name} instanceof this one's`);
      assert.ok(mine instanceof other.ProcessError);
      assert.ok(theirs instanceof ProcessError);
      assert.equal(theirs.code, CODES[name]);
    });
  }

  it("an error of one class is not an instance of the other copy's sibling classes", () => {
    assert.equal(new TimeoutError('t') instanceof other.QueueEmptyError, false);
    assert.equal(new other.PicklingError('p') instanceof RemoteError, false);
    assert.equal(new other.ProcessError('base') instanceof TimeoutError, false, 'a base instance is not a subclass instance');
  });

  it("a user subclass of one copy is an instance of the other copy's classes", () => {
    class DeadlineError extends other.TimeoutError {}
    const error = new DeadlineError('late');
    assert.ok(error instanceof TimeoutError);
    assert.ok(error instanceof ProcessError);
    assert.equal(error instanceof QueueFullError, false);
  });

  it('non-errors are not instances of either copy', () => {
    for (const value of [null, undefined, 42, 'x', {}, new Error('plain'), { code: 'ERR_MP_PICKLING', name: 'PicklingError' }]) {
      assert.equal(value instanceof other.ProcessError, false);
      assert.equal(value instanceof other.PicklingError, false);
      assert.equal(value instanceof PicklingError, false);
    }
  });
});
