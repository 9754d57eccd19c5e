// The prebuilt binaries are committed: these checks keep them the binaries of the committed
// sources (a change to native/ without `npm run build:prebuilds` fails here), complete, and named
// so node-gyp-build finds them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { manifestPath, nativeSourceHash, prebuildsDir, root } from '../../scripts/native-sources.mjs';

const require = createRequire(import.meta.url);
const nodeGypBuild = require('node-gyp-build');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
// ELF e_machine of each architecture's binaries.
const MACHINES = { x64: 62, arm64: 183 };

function compareVersions(a, b) {
  const [x, y] = [a, b].map((version) => version.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

function binariesOnDisk(dir = prebuildsDir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return binariesOnDisk(path);
    return entry.name.endsWith('.node') ? [relative(prebuildsDir, path)] : [];
  });
}

test('the prebuilt binaries were built from the native sources as they are now', () => {
  assert.equal(
    manifest.sources,
    nativeSourceHash(),
    'native/ changed since the prebuilt binaries were built: run `npm run build:prebuilds` and commit native/prebuilds',
  );
});

test('every binary the manifest lists is there, with its recorded hash, and nothing else is', () => {
  assert.ok(manifest.binaries.length > 0);
  for (const entry of manifest.binaries) {
    const path = join(prebuildsDir, entry.file);
    assert.ok(existsSync(path), `${entry.file} is listed in the manifest but missing`);
    assert.equal(createHash('sha256').update(readFileSync(path)).digest('hex'), entry.sha256, `${entry.file} differs from the one built`);
  }
  assert.deepEqual(binariesOnDisk().sort(), manifest.binaries.map((entry) => entry.file).sort());
});

test('each binary is for the architecture, ABI and libc its name tells node-gyp-build', () => {
  for (const entry of manifest.binaries) {
    const [tuple, file] = entry.file.split('/');
    assert.deepEqual(nodeGypBuild.parseTuple(tuple), { name: tuple, platform: 'linux', architectures: [entry.arch] });
    const tags = nodeGypBuild.parseTags(file);
    assert.equal(tags.abi, String(entry.abi), entry.file);
    assert.equal(tags.libc, 'glibc', entry.file);
    assert.equal(tags.runtime, 'node', entry.file);
    const elf = readFileSync(join(prebuildsDir, entry.file));
    assert.equal(elf.readUInt32BE(0), 0x7f454c46, `${entry.file} is not an ELF file`);
    assert.equal(elf.readUInt16LE(18), MACHINES[entry.arch], `${entry.file} is not an ${entry.arch} binary`);
    assert.ok(compareVersions(entry.glibc, manifest.glibcFloor) <= 0, `${entry.file} needs GLIBC_${entry.glibc}`);
  }
});

test('x64 has a binary for every Node major from the one engines names to the newest built', () => {
  const { engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const first = Number(/\d+/.exec(engines.node)[0]);
  const majors = manifest.binaries.filter((entry) => entry.arch === 'x64').map((entry) => Number(entry.node.split('.')[0]));
  const last = Math.max(...majors);
  assert.deepEqual(majors.sort((a, b) => a - b), Array.from({ length: last - first + 1 }, (_, i) => first + i));
  if (process.platform === 'linux' && process.arch === 'x64') {
    assert.ok(
      manifest.binaries.some((entry) => entry.arch === 'x64' && entry.abi === Number(process.versions.modules)),
      `no prebuilt binary for this Node's ABI ${process.versions.modules}`,
    );
  }
});
