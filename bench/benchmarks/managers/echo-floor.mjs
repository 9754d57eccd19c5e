// The floor under "4 processes appending, one call at a time": a plain node:net echo server (no
// library) answering 4 Node client processes over a Unix socket, each awaiting every reply before
// it sends the next message (a 60-byte request, a 24-byte reply, as a manager's append). Prints the
// aggregate round trips per second and each client's CPU time per round trip.
// `node echo-floor.mjs [ROUND_TRIPS_PER_CLIENT=2500] [CLIENTS=4]`
import net from 'node:net';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REQUEST = '{"op":"call","id":1,"target":"1","method":"append","args":[1]}';
const REPLY = '{"id":1,"kind":"return"}';

if (process.argv[2] === '--client') {
  const [, , , path, count] = process.argv;
  const n = Number(count);
  const socket = net.connect(path);
  await new Promise((resolve) => socket.once('connect', resolve));
  process.send('ready');
  await new Promise((resolve) => process.once('message', resolve));
  const cpu = process.cpuUsage();
  let done = 0;
  await new Promise((resolve) => {
    socket.on('data', () => {
      if (++done === n) resolve();
      else socket.write(REQUEST);
    });
    socket.write(REQUEST);
  });
  const used = process.cpuUsage(cpu);
  socket.destroy();
  process.send({ cpuUsPerTrip: (used.user + used.system) / n });
  process.disconnect();
} else {
  const perClient = Number(process.argv[2] ?? 2500);
  const clients = Number(process.argv[3] ?? 4);
  const dir = mkdtempSync(join(tmpdir(), 'mp-echo-'));
  const path = join(dir, 'echo');
  const server = net.createServer((socket) => socket.on('data', () => socket.write(REPLY)));
  await new Promise((resolve) => server.listen(path, resolve));
  try {
    const children = Array.from({ length: clients }, () => fork(process.argv[1], ['--client', path, String(perClient)]));
    await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
    const results = Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
    const start = performance.now();
    for (const child of children) child.send('go');
    const reports = await results;
    const seconds = (performance.now() - start) / 1000;
    const cpu = reports.map((r) => r.cpuUsPerTrip.toFixed(0)).join(' ');
    console.log(`node:net echo, ${clients} clients x ${perClient} round trips, one at a time: ${Math.round((clients * perClient) / seconds)}/s (client CPU per round trip, µs: ${cpu})`);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
