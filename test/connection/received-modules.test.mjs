// What a peer's message can make recv() run. A value may name only modules the receiving program
// can reach already (loaded here, or under its own folders): a data: URL module or a file elsewhere
// is refused without running, and the connection reads on. A handle naming a file descriptor by
// number is accepted only from a thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { Pipe, PicklingError } from '../../dist/index.js';
import { sourceHash } from '../../dist/serialize/function-ref.js';
import { dataModuleUrl, PEER_FUNCTION_HASH, peerCodeRuns, writePeerModule } from '../fixtures/serialize/peer-code.mjs';
import { runnableMethods, within } from '../helpers/methods.mjs';
import { withPipe } from '../helpers/connection.mjs';

/** A raw frame as send() would write it for `{ fn }`, naming `url` as the module to import first. */
function frameNaming(url, ref = {}) {
  const fnRef = { url, format: 'module', name: 'peerFunction', path: null, registered: true, hash: PEER_FUNCTION_HASH, ...ref };
  return v8.serialize([[{ url, format: 'module' }], { fn: { __mp$: 'fn', ref: fnRef } }]);
}

/** A JSON frame carrying an encoded handle of `type` with `state`. */
function handleFrame(type, state) {
  return Buffer.from(`J${JSON.stringify({ __mp$: 'handle', type, state })}`);
}

function tempDir() {
  return mkdtempSync(join(tmpdir(), 'mp-received-frames-'));
}

const refusedImport = (url) => (error) =>
  error instanceof PicklingError && error.message.includes('Refused to import') && error.message.includes(url.slice(0, 40));

for (const mode of ['async', 'sync']) {
  const read = (conn) => (mode === 'sync' ? Promise.resolve().then(() => conn.recvSync()) : within(conn.recv(), 10_000, 'recv'));

  test(`${mode}: a data: URL module named in a message is refused and does not run; the next message reads`, withPipe(async (a, b) => {
    const url = dataModuleUrl();
    a.sendBytes(frameNaming(url));
    a.send('next');
    await assert.rejects(read(b), (error) => refusedImport(url)(error) && /data: URL/.test(error.message));
    assert.equal(peerCodeRuns(), 0, "the peer's code did not run here");
    assert.equal(await read(b), 'next');
  }));

  test(`${mode}: a file: module outside the program's folders is refused and does not run`, withPipe(async (a, b) => {
    const dir = tempDir();
    try {
      const url = writePeerModule(dir);
      a.sendBytes(frameNaming(url));
      a.sendBytes(v8.serialize([[{ url: 'http://example.com/x.mjs', format: 'module' }], 1]));
      a.send({ after: true });
      await assert.rejects(read(b), (error) => refusedImport(url)(error) && error.message.includes('outside this program'));
      await assert.rejects(read(b), refusedImport('http://example.com/x.mjs'));
      assert.equal(peerCodeRuns(), 0);
      assert.deepEqual(await read(b), { after: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }));
}

test('a folder listed in MULTIPROCESSING_TS_MODULE_ROOTS is one of the program\'s own', withPipe(async (a, b) => {
  const dir = tempDir();
  const before = process.env.MULTIPROCESSING_TS_MODULE_ROOTS;
  try {
    const url = writePeerModule(dir);
    const runs = peerCodeRuns();
    process.env.MULTIPROCESSING_TS_MODULE_ROOTS = dir;
    a.sendBytes(frameNaming(url));
    const { fn } = await within(b.recv(), 10_000, 'recv');
    assert.equal(fn('x'), 'peer x');
    assert.equal(peerCodeRuns(), runs + 1);
  } finally {
    if (before === undefined) delete process.env.MULTIPROCESSING_TS_MODULE_ROOTS;
    else process.env.MULTIPROCESSING_TS_MODULE_ROOTS = before;
    rmSync(dir, { recursive: true, force: true });
  }
}));

test('a module loaded here already may be named even outside the program\'s folders', withPipe(async (a, b) => {
  const dir = tempDir();
  try {
    const url = writePeerModule(dir);
    const { peerFunction } = await import(url);
    const runs = peerCodeRuns();
    assert.equal(sourceHash(peerFunction), PEER_FUNCTION_HASH);
    a.sendBytes(frameNaming(url, { path: ['peerFunction'], registered: false }));
    assert.equal((await within(b.recv(), 10_000, 'recv')).fn, peerFunction);
    assert.equal(peerCodeRuns(), runs, 'not run again');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}));

test('a handle naming one of this process\'s file descriptors is refused from a process peer', withPipe(async (a, b) => {
  const [x, y] = Pipe();
  try {
    a.sendBytes(handleFrame('Connection', { kind: 'fd', fd: x.fileno(), readable: true, writable: true }));
    a.sendBytes(handleFrame('Listener', { socket: { kind: 'fd', fd: x.fileno() }, address: '/nowhere', family: 'AF_UNIX', authkey: null, handshakeTimeout: null, backlog: 1 }));
    a.send('next');
    const refusedFd = (type) => (error) => error instanceof PicklingError && error.message.includes(`received ${type} naming file descriptor ${x.fileno()}`);
    await assert.rejects(within(b.recv(), 10_000, 'recv'), refusedFd('Connection'));
    assert.throws(() => b.recvSync(), refusedFd('Listener'));
    assert.equal(await within(b.recv(), 10_000, 'recv'), 'next');
    x.send('x is untouched');
    assert.equal(await within(y.recv(), 10_000, 'recv on y'), 'x is untouched');
  } finally {
    x.close();
    y.close();
  }
}));

// A child's own main module is the library's entry file: it must judge with the folders of the
// program that started it, here a program outside the library's package.
for (const method of runnableMethods(['spawn', 'thread'])) {
  test(`${method}: a child accepts a function from a module of the program that started it`, async () => {
    const dir = tempDir();
    try {
      const dist = new URL('../../dist/index.js', import.meta.url).href;
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
      writeFileSync(join(dir, 'helper.mjs'), 'export function helper(x) { return `helper ${x}`; }\n');
      writeFileSync(
        join(dir, 'main.mjs'),
        `import { getContext, isMain, Pipe } from ${JSON.stringify(dist)};
export async function child(conn) {
  try {
    const { fn } = await conn.recv();
    conn.send(fn('in the child'));
  } catch (error) {
    conn.send('refused: ' + error.message);
  }
}
if (isMain(import.meta)) {
  // Imported here only, after the child has started: the child meets it first in a message.
  const { helper } = await import('./helper.mjs');
  const [mine, theirs] = Pipe();
  const p = new (getContext(${JSON.stringify(method)}).Process)({ target: child, args: [theirs] });
  p.start();
  mine.send({ fn: helper });
  console.log(JSON.stringify(await mine.recv()));
  await p.join();
}
`,
      );
      const out = await within(
        new Promise((resolve, reject) =>
          execFile(process.execPath, [join(dir, 'main.mjs')], { cwd: dir }, (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
          ),
        ),
        30_000,
        'the program',
      );
      assert.equal(JSON.parse(out.trim()), 'helper in the child');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
