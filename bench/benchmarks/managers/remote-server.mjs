// The remote server of the managers benchmark, a process of its own that nothing else started:
// `node remote-server.mjs AUTHKEY` serves MathClass as 'Math' on 127.0.0.1 (a free port, printed
// on stdout) with getServer().serveForever(), until it is killed.
import { BaseManager } from '../../lib/package.mjs';
import { MathClass } from './targets.mjs';

class MathManager extends BaseManager {}
MathManager.register('Math', MathClass);

const manager = new MathManager({ address: ['127.0.0.1', 0], authkey: Buffer.from(process.argv[2] ?? '') });
const server = manager.getServer();
process.stdout.write(`${server.address.port}\n`);
await server.serveForever();
