// 002-33: logToStderr() at module level: the child's lifecycle and its records print as [LEVEL/ProcessName].
import { INFO, Process, getLogger, isMain, logToStderr } from 'multiprocessing-ts';

logToStderr();
const logger = getLogger();
logger.setLevel(INFO);

export function worker(): void {
  logger.info('Worker Function');
  console.log('Doing some work');
}

if (isMain(import.meta)) {
  const p = new Process({ target: worker });
  p.start();
  await p.join();
}
