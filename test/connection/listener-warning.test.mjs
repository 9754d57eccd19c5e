// A TCP Listener without an authkey on an address other machines can reach warns, once per
// process: anyone who can reach the port can send messages to recv(). (Its own file: the warning
// is given once per process.)
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Listener } from '../../dist/index.js';
import { needsAddon } from '../helpers/methods.mjs';

/** The SecurityWarnings emitted while `body` runs (warnings are emitted on the next tick). */
async function warningsDuring(body) {
  const warnings = [];
  const listener = (warning) => {
    if (warning.name === 'SecurityWarning') warnings.push(warning);
  };
  process.on('warning', listener);
  try {
    await body();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return warnings;
}

test('no warning on loopback, with an authkey, or on a Unix socket; one warning, once, for an open TCP listener', needsAddon, async () => {
  const quiet = await warningsDuring(async () => {
    await new Listener({ host: '127.0.0.1', port: 0 }).close();
    await new Listener({ host: '0.0.0.0', port: 0 }, { authkey: Buffer.from('key') }).close();
    await new Listener().close();
    await new Listener(`\0mp-ts-warning-${process.pid}`).close();
    await new Listener(undefined, { family: 'AF_INET' }).close();
  });
  assert.deepEqual(quiet, []);
  const loud = await warningsDuring(async () => {
    const open = new Listener({ host: '0.0.0.0', port: 0 });
    await open.close();
    await new Listener({ host: '0.0.0.0', port: 0 }).close();
  });
  assert.equal(loud.length, 1, 'warned once per process');
  assert.equal(loud[0].code, 'MPTS_LISTENER_NO_AUTHKEY');
  assert.match(loud[0].message, /^a Listener on 0\.0\.0\.0:\d+ has no authkey: anyone who can reach this port/);
  assert.match(loud[0].message, /Pass \{ authkey \}/);
});
