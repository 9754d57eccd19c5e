// 002-27: five processes log through the package's logger.
import { INFO, Process, currentProcess, getLogger, isMain, logToStderr } from 'multiprocessing-ts';

export function worker(): void {
  const logger = getLogger();
  logger.info(`${currentProcess().name} is executing.`);
}

if (isMain(import.meta)) {
  // Differs: the original never imports Process, its logger has no handler (so nothing prints), and it never joins; here logToStderr(INFO) prints and all five are joined.
  logToStderr(INFO);
  const processes: Process[] = [];
  for (let i = 0; i < 5; i++) {
    const p = new Process({ target: worker });
    p.start();
    processes.push(p);
  }
  for (const p of processes) {
    await p.join();
  }
}
