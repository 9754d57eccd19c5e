// A pool's life: close() then join() waits for the submitted work; `await using` (test_context,
// test_enter); contexts (ctx.Pool, the context option, ThreadPool); initializer/initargs;
// maxTasksPerChild replaces workers and loses nothing (test_maxtasksperchild,
// test_pool_worker_lifetime, test_pool_worker_lifetime_early_close); and at program level: an idle
// pool does not keep the program alive, task arguments are released after their call
// (test_release_task_refs), ended workers are released, GC of an unclosed running pool warns once (test_resource_warning).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Pool, ThreadPool, getContext } from '../../dist/index.js';
import { forEachMethod, within, PROCESS_METHODS } from '../helpers/methods.mjs';
import { pidAlive, runScript } from '../helpers/run-script.mjs';
import { init, readInit, slowSquare, square } from '../fixtures/pool/tasks.mjs';
import { raiseLarge, whoRuns, whoRunsSlowly } from '../fixtures/pool/faults.mjs';

const range = (n) => Array.from({ length: n }, (_, i) => i);
const squares = (n) => range(n).map((i) => i * i);
const fixture = (name) => fileURLToPath(new URL(`../fixtures/pool/${name}`, import.meta.url));
const PREFIX = { spawn: 'SpawnPoolWorker-', forkserver: 'ForkServerPoolWorker-', thread: 'ThreadPoolWorker-' };

async function terminated(pool) {
  await within(pool.terminate(), 10_000, 'pool.terminate()');
}

forEachMethod((ctx, method) => {
  test('close() lets the submitted work finish, then join() resolves once every worker has exited', async () => {
    const pool = new ctx.Pool(2);
    try {
      const pids = pool.workers.map((w) => w.pid);
      const pending = range(6).map((i) => pool.applyAsync(slowSquare, [i, 20]));
      const mapped = pool.mapAsync(slowSquare, range(6), { chunksize: 1 });
      const stream = pool.imap(square, range(20));
      pool.close();
      await within(pool.join(), 20_000, 'join after close');
      assert.deepEqual(await Promise.all(pending.map((r) => r.get())), squares(6), 'tasks submitted before close() completed');
      assert.deepEqual(await mapped.get(), squares(6));
      const streamed = [];
      for await (const v of stream) streamed.push(v);
      assert.deepEqual(streamed, squares(20));
      assert.equal(pool.workers.length, 0);
      if (method !== 'thread') for (const pid of pids) assert.equal(pidAlive(pid), false, `worker ${pid} exited`);
      await within(pool.join(), 1_000, 'a second join');
    } finally {
      await terminated(pool);
    }
  });

  test('a failed map does not stop close() and join() from finishing (test_map_no_failfast)', async () => {
    const pool = new ctx.Pool(2);
    try {
      const failed = pool.map(raiseLarge, [0, 30]);
      const after = pool.applyAsync(slowSquare, [3, 30]);
      await assert.rejects(failed, /xxxx/);
      pool.close();
      await within(pool.join(), 20_000, 'join after a failed map');
      assert.equal(await after.get(), 9);
    } finally {
      await terminated(pool);
    }
  });

  test('Symbol.asyncDispose closes the pool and waits for its workers (await using)', async () => {
    const pool = new ctx.Pool(2);
    try {
      const r = pool.applyAsync(slowSquare, [5, 30]);
      await within(pool[Symbol.asyncDispose](), 20_000, 'dispose');
      assert.equal(await r.get(), 25, 'work submitted before dispose completed');
      assert.equal(String(pool), '<Pool state=CLOSE pool_size=2>');
      assert.equal(pool.workers.length, 0);
      assert.throws(() => pool.applyAsync(square, [1]), /Pool not running/);
      await within(pool[Symbol.asyncDispose](), 1_000, 'a second dispose');
    } finally {
      await terminated(pool);
    }
  });

  test('ctx.Pool and the context option choose how workers start; ctx.Pool is a Pool', async () => {
    assert.equal(ctx.Pool.name, 'Pool');
    const pool = new ctx.Pool(1);
    const viaOption = new Pool({ processes: 1, context: method });
    const viaContext = new Pool({ processes: 1, context: getContext(method) });
    try {
      assert.ok(pool instanceof Pool);
      for (const p of [pool, viaOption, viaContext]) {
        const [x, name, pid, threadId] = await p.apply(whoRuns, [1]);
        assert.equal(x, 1);
        assert.ok(name.startsWith(PREFIX[method]), name);
        if (method === 'thread') {
          assert.equal(pid, process.pid, 'thread workers run in this process');
          assert.notEqual(threadId, 0);
        } else {
          assert.notEqual(pid, process.pid, 'process workers are other processes');
        }
      }
    } finally {
      await Promise.all([pool, viaOption, viaContext].map(terminated));
    }
  });

  test('the initializer runs in every worker with initargs before its first task', async () => {
    const pool = new ctx.Pool({ processes: 2, initializer: init, initargs: [{ token: 'ready', n: 42 }] });
    try {
      const results = await pool.map(readInit, range(8), { chunksize: 1 });
      assert.deepEqual(results, range(8).map(() => ({ token: 'ready', n: 42 })));
    } finally {
      await terminated(pool);
    }
  });

  test('maxTasksPerChild replaces workers after that many tasks; every result arrives (test_maxtasksperchild)', async () => {
    const pool = new ctx.Pool({ processes: 2, maxTasksPerChild: 2 });
    try {
      const first = pool.workers.map((w) => w.name);
      const results = await within(pool.map(whoRunsSlowly, range(8), { chunksize: 1 }), 30_000, 'map with maxTasksPerChild');
      assert.deepEqual(results.map(([x]) => x), range(8), 'nothing lost, in order');
      const perWorker = new Map();
      for (const [, name] of results) perWorker.set(name, (perWorker.get(name) ?? 0) + 1);
      assert.ok(perWorker.size >= 4, `8 tasks, at most 2 per worker: ${perWorker.size} workers`);
      for (const [name, count] of perWorker) assert.ok(count <= 2, `${name} ran ${count} tasks`);
      if (method !== 'thread') assert.ok(new Set(results.map(([, , pid]) => pid)).size >= 4, 'the pids change');
      assert.ok([...perWorker.keys()].filter((name) => !first.includes(name)).length >= 2, 'replacement workers ran tasks');
      assert.deepEqual(await pool.map(square, range(5), { chunksize: 1 }), squares(5));
      for (let i = 0; i < 4; i++) assert.equal(await pool.apply(square, [i]), i * i);
    } finally {
      await terminated(pool);
    }
  });

  test('close() right after submitting to a pool whose worker lives for one task (test_pool_worker_lifetime_early_close)', async () => {
    const pool = new ctx.Pool({ processes: 1, maxTasksPerChild: 1 });
    try {
      const results = range(3).map((i) => pool.applyAsync(slowSquare, [i, 10]));
      pool.close();
      await within(pool.join(), 30_000, 'join');
      assert.deepEqual(await Promise.all(results.map((r) => r.get())), squares(3));
    } finally {
      await terminated(pool);
    }
  });
});

describe('ThreadPool', () => {
  test('is a Pool of worker threads, with CPython’s positional form', async () => {
    const pool = new ThreadPool(2, init, ['thread-init']);
    try {
      assert.ok(pool instanceof Pool);
      assert.equal(String(pool), '<ThreadPool state=RUN pool_size=2>');
      assert.deepEqual(await pool.map(readInit, range(4)), range(4).map(() => 'thread-init'));
      const [, name, pid] = await pool.apply(whoRuns, [0]);
      assert.ok(name.startsWith('ThreadPoolWorker-'));
      assert.equal(pid, process.pid);
    } finally {
      await terminated(pool);
    }
  });

  test('takes an options object and ignores a default start method', async () => {
    const pool = new ThreadPool({ processes: 1 });
    try {
      assert.equal(pool.processes, 1);
      assert.equal((await pool.apply(whoRuns, [0]))[2], process.pid);
    } finally {
      await terminated(pool);
    }
  });
});

describe('programs using a pool', () => {
  test('await using (TypeScript, run with tsx) closes the pool at the end of the block (test_context, test_enter)', async () => {
    const { code, stdout, stderr } = await runScript(fixture('dispose-program.mts'), {
      execArgv: ['--import', 'tsx'],
      args: ['thread'],
      timeout: 30_000,
    });
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout.trim()), {
      results: [1, 4, 9],
      state: '<Pool state=CLOSE pool_size=2>',
      workers: 0,
      afterwards: 'Pool not running',
    });
  });

  forEachMethod((ctx, method) => {
    test('an idle pool that is never closed does not keep the program alive', async () => {
      const { code, stdout, stderr } = await runScript(fixture('programs.mjs'), { args: ['idle-exit', method], timeout: 20_000 });
      assert.equal(code, 0, stderr);
      const seen = JSON.parse(stdout.trim());
      assert.deepEqual(seen.result, squares(5));
      assert.equal(seen.workers.length, 2, 'the workers were running when the program ended');
    });

    test('the pool releases task arguments once their call is done (test_release_task_refs)', async () => {
      const { code, stdout, stderr } = await runScript(fixture('programs.mjs'), { execArgv: ['--expose-gc'], args: ['release-refs', method], timeout: 20_000 });
      assert.equal(code, 0, stderr);
      assert.deepEqual(JSON.parse(stdout.trim()), { ok: true, alive: 0, total: 40 });
    });

    test('workers replaced after maxTasksPerChild are released once they ended (not kept for the program\'s life)', async () => {
      const { code, stdout, stderr } = await runScript(fixture('programs.mjs'), { execArgv: ['--expose-gc'], args: ['released-workers', method], timeout: 30_000 });
      assert.equal(code, 0, stderr);
      const seen = JSON.parse(stdout.trim());
      // Eight tasks, one per worker; a replacement may still be starting when the next is noted.
      assert.ok(seen.workers >= 5, `workers seen: ${seen.workers}`);
      assert.deepEqual(seen.kept, [], 'ended workers still referenced');
    });

    test('a task that exhausts its worker\'s memory fails with WorkerLostError, and the pool serves on', async () => {
      const { code, stdout, stderr } = await runScript(fixture('programs.mjs'), { execArgv: ['--max-old-space-size=64'], args: ['out-of-memory', method], timeout: 60_000 });
      assert.equal(code, 0, stderr);
      const seen = JSON.parse(stdout.trim().split('\n').at(-1));
      assert.equal(seen.error?.name, 'WorkerLostError', JSON.stringify(seen.error));
      assert.deepEqual(seen.after, squares(4));
    });

    test('garbage collection of unclosed running pools warns once (test_resource_warning)', async () => {
      const { code, stdout, stderr, pid } = await runScript(fixture('programs.mjs'), { execArgv: ['--expose-gc'], args: ['gc-warning', method], timeout: 30_000 });
      assert.equal(code, 0, stderr);
      const seen = JSON.parse(stdout.trim());
      assert.deepEqual(seen.results, [squares(3), squares(3)]);
      assert.equal(seen.warnings.length, 1, `warnings: ${JSON.stringify(seen.warnings)}`);
      assert.equal(seen.warnings[0].name, 'ResourceWarning');
      assert.match(seen.warnings[0].message, /unclosed running multiprocessing pool/);
      assert.match(seen.warnings[0].message, /close\(\)|await using/, 'the warning says what to do');
      assert.equal(stderr.match(/unclosed running multiprocessing pool/g)?.length, 1, 'printed once');
      assert.equal(stderr.split('\n').filter((line) => /Warning/.test(line)).length, 1, `exactly one warning line for the two pools:\n${stderr}`);
      // Both pools were collected (the second one silently): every worker of both has ended.
      assert.equal(seen.workers.length, 2, 'one worker per dropped pool');
      assert.equal(new Set(seen.workers.map((w) => w.name)).size, 2);
      for (const w of seen.workers) {
        assert.ok(w.name.startsWith(PREFIX[method]), w.name);
        assert.equal(w.alive, false, `${w.name} ended after its pool was collected`);
        assert.ok(Number.isInteger(w.exitCode) && w.exitCode < 0, `${w.name} was terminated by the finalizer: exit code ${w.exitCode}`);
        if (method !== 'thread') {
          assert.notEqual(w.pid, pid, 'a worker process of its own');
          assert.equal(pidAlive(w.pid), false, `worker process ${w.pid} is gone`);
        }
      }
    });
  }, ['spawn', 'thread']);
});
