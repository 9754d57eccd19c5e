// One remote connect() of the managers benchmark, in a process of its own (a process keeps one
// connection per server and key, so only its first connect() makes a connection and runs the
// handshake): `node connect-once.mjs PORT AUTHKEY MODE` prints the milliseconds connect() took.
// MODE 'first': the process's very first connection (it loads Node's net and crypto modules and the
// addon on the way); 'loaded': after one plain Client() connection to the server, closed.
import { BaseManager, Client } from '../../lib/package.mjs';

class MathManager extends BaseManager {}
MathManager.register('Math');

const address = ['127.0.0.1', Number(process.argv[2])];
const authkey = Buffer.from(process.argv[3] ?? '');
if (process.argv[4] === 'loaded') (await Client(address, { authkey })).close();
const manager = new MathManager({ address, authkey });
const t = process.hrtime.bigint();
await manager.connect();
const ms = Number(process.hrtime.bigint() - t) / 1e6;
await manager.shutdown();
process.stdout.write(`${ms}\n`);
