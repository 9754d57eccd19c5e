// SharedMemoryManager (CPython's test_shared_memory_SharedMemoryManager_basics): blocks and lists
// made in this process, used by children, unlinked when the manager shuts down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { SharedMemoryManager } from '../../dist/index.js';
import { forEachMethod, needsAddon, processStarter } from '../helpers/methods.mjs';
import { writeShared } from '../fixtures/managers/tasks.mjs';

const { start, join } = processStarter();

test('SharedMemory() before start() says the manager is not started', async () => {
  const smm = new SharedMemoryManager();
  await assert.rejects(smm.SharedMemory(8), /not started/);
  await smm.shutdown();
});

forEachMethod((ctx) => {
  test('blocks and lists it made work in children and are unlinked at shutdown', needsAddon, async () => {
    const smm = new SharedMemoryManager({ context: ctx });
    await smm.start();
    const block = await smm.SharedMemory(64);
    const list = await smm.ShareableList([1, 'two', null]);
    assert.deepEqual((await smm._segments()).sort(), [block.name, list.shm.name].sort());
    const child = start(ctx, writeShared, [block.name, list.shm.name]);
    await join(child);
    assert.equal(child.exitCode, 0);
    assert.equal(block.buf[0], 42);
    assert.equal(list.get(0), 7);
    assert.equal(list.get(1), 'two');
    assert.ok(existsSync(`/dev/shm/${block.name}`));
    block.close();
    list.shm.close();
    await smm[Symbol.asyncDispose]();
    assert.equal(existsSync(`/dev/shm/${block.name}`), false, 'the block is unlinked');
    assert.equal(existsSync(`/dev/shm/${list.shm.name}`), false, 'the list is unlinked');
  });
});
