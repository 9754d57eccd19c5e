// 002-38: a client of 002-37's server: connects with the key and calls Math().add(4, 4).
// Differs: MATH_PORT picks another port (the seed's is 50000).
import { BaseManager, isMain, type AutoProxy } from 'multiprocessing-ts';
import type { MathClass } from './manager-002-37-auth-server.js';

if (isMain(import.meta)) {
  class MathManager extends BaseManager {
    declare Math: () => Promise<AutoProxy<MathClass>>;
  }
  MathManager.register('Math');
  const manager = new MathManager({ address: ['localhost', Number(process.env.MATH_PORT ?? 50000)], authkey: Buffer.from('secret-key') });
  await manager.connect();
  const math = await manager.Math();
  console.log(await math.add(4, 4)); // Should print 8 if authenticated
  await manager.shutdown();
}
