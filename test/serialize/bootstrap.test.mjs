// A target's module that imports a module starting a process at its top level (no isMain()
// guard): the child importing it to find the target gets CPython's "bootstrapping phase"
// error and exits 1, instead of starting processes of its own (a fork bomb).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ALL_METHODS } from '../helpers/methods.mjs';
import { runScript } from '../helpers/run-script.mjs';

const FIXTURES = fileURLToPath(new URL('../fixtures/serialize/bootstrap/', import.meta.url));

describe('a target whose module imports an unguarded module that starts a process', () => {
  let result;
  const exitCodes = new Map();

  before(async () => {
    result = await runScript(`${FIXTURES}main.mjs`, { args: [ALL_METHODS.join(',')], timeout: 60_000 });
    for (const line of result.stdout.split('\n')) {
      const match = /^(?:case (\S+)|(top-level)) (-?\d+)$/.exec(line);
      if (match) exitCodes.set(match[1] ?? match[2], Number(match[3]));
    }
  });

  it('the parent program itself runs to completion', () => {
    assert.equal(result.code, 0, result.stderr);
  });

  for (const method of ALL_METHODS) {
    it(`a ${method} child fails with exit code 1 and the bootstrapping error on its stderr`, () => {
      assert.equal(exitCodes.get(method), 1, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      const report = result.stderr.split(/^(?=Process )/m).find((part) => part.startsWith(`Process task-${method}:\n`));
      assert.ok(report, `no failure report for task-${method}; stderr:\n${result.stderr}`);
      assert.match(report, /ProcessError: [\s\S]*before the\s+current process has finished its bootstrapping phase/);
      assert.match(report, /isMain\(import\.meta\)/, 'the message shows the fix');
      assert.match(report, /code: 'ERR_MP_PROCESS'/);
      assert.ok(report.includes(`${FIXTURES}side-effect.mjs:`), 'the stack points at the unguarded start');
    });
  }

  it("the children never run the target, and only the parent's own top-level start ran a process", () => {
    assert.doesNotMatch(result.stdout, /task ran/);
    const announcements = result.stdout.split('\n').filter((line) => line.startsWith('announce '));
    assert.deepStrictEqual(announcements, ['announce top-level']);
    assert.equal(exitCodes.get('top-level'), 0);
  });
});
