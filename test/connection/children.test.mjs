// Connections travel to children as Process arguments (and over other connections), on every
// start method: CPython's test_connection (with a child echoing), test_spawn_close, test_fd_transfer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EOFError, Pipe } from '../../dist/index.js';
import { forEachMethod, needsAddon, within, processStarter } from '../helpers/methods.mjs';
import { echo, relayOne, sendAndClose, useTransferred } from '../fixtures/connection/tasks.mjs';

const { start } = processStarter();

const join = (p) => within(p.join(), 20_000, `join of ${p.name}`);

forEachMethod((ctx) => {
  test('a child echoes over a duplex Pipe end passed as an argument', async () => {
    const [mine, theirs] = ctx.Pipe();
    const p = start(ctx, echo, [theirs]);
    theirs.close();
    try {
      const values = ['a', 1, { b: [2, 3] }, Buffer.alloc(100_000, 9)];
      for (const v of values) mine.send(v);
      for (const v of values) assert.deepEqual(await within(mine.recv(), 20_000, 'echo'), v);
      mine.close();
      await join(p);
      assert.equal(p.exitCode, 0);
    } finally {
      mine.close();
    }
  });

  test('a child that sends and closes: the parent reads everything, then EOFError (test_spawn_close)', async () => {
    const [mine, theirs] = ctx.Pipe();
    const p = start(ctx, sendAndClose, [theirs, 5]);
    theirs.close();
    try {
      const got = [];
      for (let i = 0; i < 5; i++) got.push(await within(mine.recv(), 20_000, 'recv'));
      assert.deepEqual(got, [0, 1, 2, 3, 4]);
      assert.deepEqual(await mine.recvBytes(), Buffer.from('bytes from the child'));
      await within(assert.rejects(mine.recv(), EOFError), 20_000);
      await join(p);
    } finally {
      mine.close();
    }
  });

  test('one-way ends keep their direction in the child', async () => {
    const [readEnd, writeEnd] = ctx.Pipe({ duplex: false });
    const [replyRead, replyWrite] = ctx.Pipe({ duplex: false });
    const p = start(ctx, relayOne, [readEnd, replyWrite]);
    readEnd.close();
    replyWrite.close();
    try {
      writeEnd.sendBytes(Buffer.from('one way'));
      assert.deepEqual(await within(replyRead.recv(), 20_000, 'reply'), Buffer.from('one way'));
      await join(p);
    } finally {
      writeEnd.close();
      replyRead.close();
    }
  });

  test('messages already waiting (even after a poll here) go to the child that receives the end', async () => {
    const [readEnd, writeEnd] = ctx.Pipe({ duplex: false });
    const [replyRead, replyWrite] = ctx.Pipe({ duplex: false });
    writeEnd.sendBytes(Buffer.from('sent before the hand-over'));
    assert.equal(readEnd.pollSync(), true);
    const p = start(ctx, relayOne, [readEnd, replyWrite]);
    readEnd.close();
    replyWrite.close();
    try {
      assert.deepEqual(await within(replyRead.recv(), 20_000, 'reply'), Buffer.from('sent before the hand-over'));
      await join(p);
    } finally {
      writeEnd.close();
      replyRead.close();
    }
  });

  // Without the native addon a Pipe end travels as an argument only, not inside a message.
  test('a Connection sent over a Connection works in the receiver (test_fd_transfer)', needsAddon, async () => {
    const [control, childControl] = ctx.Pipe();
    const p = start(ctx, useTransferred, [childControl]);
    childControl.close();
    const [reader, writer] = Pipe({ duplex: false });
    try {
      control.send(writer);
      writer.close();
      assert.deepEqual(await within(reader.recv(), 20_000, 'message through the transferred end'), {
        via: 'transferred',
        readable: false,
        writable: true,
      });
      assert.equal(await within(control.recv(), 20_000), 'done');
      await within(assert.rejects(reader.recv(), EOFError), 20_000);
      await join(p);
    } finally {
      control.close();
      reader.close();
    }
  });
});

test('a closed Connection cannot be passed to a child', async () => {
  const [a, b] = Pipe();
  a.close();
  const { Process } = await import('../../dist/index.js');
  const p = new Process({ target: echo, args: [a] });
  assert.throws(() => p.start(), /handle is closed/);
  b.close();
});
