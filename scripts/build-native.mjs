// Builds the native addon against the headers of the Node.js that runs this script.
// The headers are taken from the local installation so nothing is downloaded.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const prefix = dirname(dirname(process.execPath));
const candidates = [process.env.npm_config_nodedir, prefix].filter(Boolean);
const nodedir = candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node.h')));
if (!nodedir) {
  console.error(`multiprocessing-ts: Node.js headers not found (looked in ${candidates.join(', ')}).`);
  console.error('Set npm_config_nodedir to a directory containing include/node/node.h.');
  process.exit(1);
}
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  gyp = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
}
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=max'], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
