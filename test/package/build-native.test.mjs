// The fallback where no prebuilt binary fits: `npx multiprocessing-ts build-native` compiles the
// addon into the installed package (node-gyp from npm, this Node's headers), which then prefers it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { needsAddon } from '../helpers/methods.mjs';
import { ESM_RESULT, environment, lastJsonLine, npmCli, ok, onPath, packed, seconds } from '../helpers/package.mjs';

const toolchain = ['make', 'g++', 'python3'].every((tool) => onPath(tool));
let pack;

before(async () => {
  pack = await packed();
});

after(() => pack?.remove());

test(
  'npx multiprocessing-ts build-native compiles into the installed package, which then prefers it',
  { skip: needsAddon.skip || (toolchain ? false : 'make, g++ and python3 are needed on PATH') },
  async (t) => {
    const app = await pack.npmInstall('build-native-app');
    const env = environment();
    const started = performance.now();
    const built = await ok(process.execPath, [npmCli, 'exec', '--offline', '--', 'multiprocessing-ts', 'build-native'], {
      cwd: app,
      env,
      timeout: 300_000,
    });
    t.diagnostic(`build-native: ${seconds(started)}`);
    // npx hands npm's own node-gyp over (npm_config_node_gyp).
    assert.ok(built.stdout.includes(`with node-gyp ${join(dirname(dirname(npmCli)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')}`), built.stdout);
    const compiled = join(app, 'node_modules', 'multiprocessing-ts', 'native', 'build', 'Release', 'mp_native.node');
    assert.ok(built.stdout.includes(`built ${compiled}`), built.stdout);
    const doctor = await ok(join(app, 'node_modules', '.bin', 'multiprocessing-ts'), ['doctor', '--json'], { cwd: app, env });
    const report = JSON.parse(doctor.stdout);
    assert.equal(report.native.origin, 'compiled');
    assert.equal(report.native.path, compiled);
    const result = await ok(process.execPath, ['esm.mjs'], { cwd: app, env });
    assert.deepEqual(lastJsonLine(result.stdout), ESM_RESULT);
  },
);
