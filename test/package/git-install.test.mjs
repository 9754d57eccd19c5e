// Installing from a git URL: npm clones the repository, runs `prepare` (which builds dist/) and
// installs the result. The prebuilt binaries are committed, so nothing compiles.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ESM_RESULT, environment, lastJsonLine, npmCli, ok, packed, root, seconds } from '../helpers/package.mjs';

const git = spawnSync('git', ['--version']).status === 0;
let pack;

before(async () => {
  pack = await packed();
});

after(() => pack?.remove());

test('npm install git+file:// builds dist through prepare, and the ESM program runs', { skip: git ? false : 'git is not installed' }, async (t) => {
  // A repository of the working tree as it is (committed or not), as a clone of it would be.
  const repo = join(pack.work, 'repo');
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(root, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    cpSync(join(root, file), join(repo, file));
  }
  const identity = { GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com' };
  for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-q', '-m', 'snapshot']]) {
    await ok('git', args, { cwd: repo, env: { ...environment(), ...identity } });
  }
  const app = pack.project('git-app');
  const env = environment();
  const started = performance.now();
  await ok(process.execPath, [npmCli, 'install', `git+file://${repo}`, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env, timeout: 300_000 });
  t.diagnostic(`npm install git+file://: ${seconds(started)}`);
  const installed = join(app, 'node_modules', 'multiprocessing-ts');
  assert.ok(existsSync(join(installed, 'dist', 'index.js')), 'prepare did not build dist');
  assert.equal(existsSync(join(installed, 'native', 'build')), false, 'something compiled the addon');
  const result = await ok(process.execPath, ['esm.mjs'], { cwd: app, env });
  assert.deepEqual(lastJsonLine(result.stdout), ESM_RESULT);
});
