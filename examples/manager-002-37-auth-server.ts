// 002-37: a manager serving MathClass on TCP port 50000 to clients that hold the key.
// Differs: MATH_PORT picks another port (the seed's is 50000).
import { BaseManager, isMain } from 'multiprocessing-ts';

export class MathClass {
  add(x: number, y: number): number {
    return x + y;
  }
}

if (isMain(import.meta)) {
  class MathManager extends BaseManager {}
  MathManager.register('Math', MathClass);
  const manager = new MathManager({ address: ['', Number(process.env.MATH_PORT ?? 50000)], authkey: Buffer.from('secret-key') });
  const server = manager.getServer();
  console.log('Server started. Waiting for connections...');
  await server.serveForever();
}
