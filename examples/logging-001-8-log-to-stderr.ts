// 001-8: the package's logger printing to stderr, without any process.
import { INFO, logToStderr } from 'multiprocessing-ts';

const logger = logToStderr();
logger.setLevel(INFO);
logger.warning('Error has occurred');
