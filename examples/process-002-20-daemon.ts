// 002-20: a daemon process is terminated when the main process exits.
import { setTimeout as sleep } from 'node:timers/promises';
import { Process, isMain } from 'multiprocessing-ts';

export async function daemonWorker(): Promise<void> {
  console.log('Starting Daemon');
  await sleep(2000);
  console.log('Exiting Daemon'); // never printed: the main process exits first and takes the daemon with it
}

if (isMain(import.meta)) {
  const daemonProcess = new Process({ target: daemonWorker });
  daemonProcess.daemon = true;
  daemonProcess.start();
  await daemonProcess.join({ timeout: 1000 });
  console.log('Main Process exiting');
}
