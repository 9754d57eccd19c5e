// Targets defined in a node:test test file: a child would import the test file to find them and
// run its tests again (each pool worker reruns the suite, which fails there). They are refused at
// the call site instead. Checked in real test runs of a fixture test file: `node --test file` (the
// file is the entry of a process node --test marks) and `node file` (its entry imports node:test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/serialize/node-test/targets.test.mjs', import.meta.url));

/** Runs node with `args`, outside this test run's own node:test context; resolves with its exit and output. */
function run(args, timeout = 90_000) {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish within ${timeout} ms:\n${output}`));
    }, timeout);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

for (const [how, args] of [
  ['node --test <file>', ['--test', FIXTURE]],
  ['node <file>', [FIXTURE]],
]) {
  test(`${how}: targets defined in the test file are refused at the call site; imported ones run`, async () => {
    const { code, output } = await run(args);
    assert.match(output, /^# pass 2$/m, output);
    assert.match(output, /^# fail 0$/m, output);
    assert.doesNotMatch(output, /cannot be created inside a pool worker/, 'no child reran the tests');
    assert.equal(code, 0, output);
  });
}
