// Subclassing Process with run(), on every start method: the class is exported from its module,
// its own fields travel to the child, and the child runs the subclass's run().
// Translated from CPython's _TestSubclassingProcess.test_subclassing (the upper-casing worker
// needs pipes; here the child reports through a file) and test_lose_target_ref.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PicklingError, Process, setStartMethod } from '../../dist/index.js';
import { cleanup, forEachMethod, within } from '../helpers/methods.mjs';
import { readReport, reportDir } from '../fixtures/process/observe.mjs';
import { doNothing } from '../fixtures/process/tasks.mjs';
import { FailingProc, MyProc, MyThreadProc, TargetProc, UnsendableProc } from '../fixtures/process/subclasses.mjs';

const reports = reportDir();
after(() => reports.remove());

const started = [];
afterEach(() => cleanup(started.splice(0)));

const join = (p, ms = 15_000) => within(p.join(), ms, `join of ${p.name}`);

forEachMethod((ctx, method) => {
  // A subclass of the package-root Process uses the default start method.
  before(() => setStartMethod(method, { force: true }));

  test('a subclass runs its own run() in the child, with its fields and methods', async () => {
    const out = reports.file();
    const payload = { text: 'hi', map: new Map([['k', 1]]), date: new Date(0), big: 2n ** 70n };
    const p = new MyProc(out, payload);
    started.push(p);
    assert.match(p.name, /^MyProc-\d+$/);
    p.start();
    await join(p);
    assert.equal(p.exitCode, 0);
    assert.deepEqual(readReport(out), {
      isMyProc: true,
      isCurrent: true,
      name: p.name,
      daemon: false,
      constructedInChild: 0,
      method: 'HELLO',
      payload: { text: 'hi', map: [['k', 1]], date: '1970-01-01T00:00:00.000Z', big: String(2n ** 70n) },
    });
  });

  test('a subclass takes the Process options through super(), daemon and name included', async () => {
    const out = reports.file();
    const p = new MyProc(out, null, { daemon: true, name: 'upper-caser' });
    started.push(p);
    p.start();
    await join(p);
    const seen = readReport(out);
    assert.equal(seen.name, 'upper-caser');
    assert.equal(seen.daemon, true);
  });

  test('an async run() that fails ends the child with exit code 1', async () => {
    const p = new FailingProc();
    started.push(p);
    p.start();
    await join(p);
    assert.equal(p.exitCode, 1);
  });

  test('a subclass without run() still runs its target', async () => {
    const p = new TargetProc({ target: doNothing });
    started.push(p);
    assert.match(p.name, /^TargetProc-\d+$/);
    p.start();
    await join(p);
    assert.equal(p.exitCode, 0);
  });

  test('a field that cannot be sent fails start() with a PicklingError and starts nothing', () => {
    const p = new UnsendableProc();
    assert.throws(() => p.start(), (error) => {
      assert.ok(error instanceof PicklingError);
      assert.equal(error.code, 'ERR_MP_PICKLING');
      assert.match(error.message, /UnsendableProc/);
      return true;
    });
    assert.equal(p.isAlive(), false);
    assert.equal(p.pid, null);
  });
});

test("a subclass of a context's Process class keeps that context's start method", async () => {
  setStartMethod('spawn', { force: true });
  const out = reports.file();
  const p = new MyThreadProc(out);
  started.push(p);
  assert.match(p.name, /^MyThreadProc-\d+$/);
  p.start();
  await join(p);
  assert.equal(p.exitCode, 0);
  assert.deepEqual(readReport(out), { name: p.name, osPid: process.pid });
  assert.ok(p instanceof Process);
});
