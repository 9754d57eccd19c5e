// 002-31: a child catches its own error.
import { Process, isMain } from 'multiprocessing-ts';

export function worker(): void {
  try {
    // Trigger an exception
    throw new Error('Something went wrong!');
  } catch (e) {
    console.log(`Caught exception: ${(e as Error).message}`);
  }
}

if (isMain(import.meta)) {
  const p = new Process({ target: worker });
  p.start();
  await p.join();
}
