/**
 * CPython's `multiprocessing` logger: silent until `logToStderr()` (or a level) is set, records
 * printed as `[LEVEL/ProcessName] message`, and children inherit the parent's settings.
 *
 * Without any code, Node's `util.debuglog` convention turns the debug log on: with
 * `NODE_DEBUG=multiprocessing` every process and thread of the program (they inherit the
 * environment) prints its records from DEBUG up to stderr, prefixed as debuglog prefixes its
 * lines: `MULTIPROCESSING <pid>: [DEBUG/SpawnPoolWorker-1] added worker`. SUBDEBUG records (the
 * chattiest, CPython's sub_debug) come too when NODE_DEBUG also names the section
 * `multiprocessing_subdebug`: `NODE_DEBUG=multiprocessing*` or `NODE_DEBUG=*` do. NODE_DEBUG is
 * matched as Node matches it (comma-separated names, `*` wildcards, any case). These lines are
 * independent of the logger's level and handlers; a record they print is not printed a second
 * time by `logToStderr()`'s handler.
 */
import { debuglog, format } from 'node:util';
import { isChild, selfInfo } from './process/state.js';

export const SUBDEBUG = 5;
export const DEBUG = 10;
export const INFO = 20;
export const SUBWARNING = 25;
export const WARNING = 30;
export const ERROR = 40;
export const CRITICAL = 50;
/** Level 0 means "not set": the logger then behaves as WARNING, as CPython's root default. */
const NOTSET = 0;

const LEVEL_NAMES = new Map<number, string>([
  [SUBDEBUG, 'SUBDEBUG'],
  [DEBUG, 'DEBUG'],
  [INFO, 'INFO'],
  [SUBWARNING, 'SUBWARNING'],
  [WARNING, 'WARNING'],
  [ERROR, 'ERROR'],
  [CRITICAL, 'CRITICAL'],
]);

export type LogLevel = number | 'SUBDEBUG' | 'DEBUG' | 'INFO' | 'SUBWARNING' | 'WARNING' | 'ERROR' | 'CRITICAL';

export type LogHandler = (record: { level: number; levelName: string; processName: string; message: string }) => void;

function toLevel(level: LogLevel): number {
  if (typeof level === 'number') {
    if (!Number.isInteger(level) || level < 0) throw new RangeError(`invalid log level: ${level}`);
    return level;
  }
  for (const [value, name] of LEVEL_NAMES) if (name === level) return value;
  throw new RangeError(`unknown log level: '${String(level)}'`);
}

function levelName(level: number): string {
  return LEVEL_NAMES.get(level) ?? `Level ${level}`;
}

/** The lowest level NODE_DEBUG turns on (see the module comment), or Infinity. */
const debugThreshold: number = debuglog('multiprocessing_subdebug').enabled
  ? SUBDEBUG
  : debuglog('multiprocessing').enabled
    ? DEBUG
    : Infinity;

type LogRecord = Parameters<LogHandler>[0];

function writeDebugLine(record: LogRecord): void {
  process.stderr.write(`MULTIPROCESSING ${process.pid}: [${record.levelName}/${record.processName}] ${record.message}\n`);
}

export class Logger {
  readonly name = 'multiprocessing';
  #level = NOTSET;
  #handlers: LogHandler[] = [];

  setLevel(level: LogLevel): void {
    this.#level = toLevel(level);
  }

  getEffectiveLevel(): number {
    return this.#level === NOTSET ? WARNING : this.#level;
  }

  /** Whether a record at `level` would be printed anywhere (a handler, or the NODE_DEBUG log). */
  isEnabledFor(level: number): boolean {
    return level >= debugThreshold || (this.#handlers.length > 0 && level >= this.getEffectiveLevel());
  }

  addHandler(handler: LogHandler): void {
    if (!this.#handlers.includes(handler)) this.#handlers.push(handler);
    announceShutdown(this);
  }

  removeHandler(handler: LogHandler): void {
    this.#handlers = this.#handlers.filter((h) => h !== handler);
  }

  get handlers(): readonly LogHandler[] {
    return this.#handlers;
  }

  log(level: number, message: unknown, ...args: unknown[]): void {
    const toDebugLog = level >= debugThreshold;
    const toHandlers = this.#handlers.length > 0 && level >= this.getEffectiveLevel();
    if (!toDebugLog && !toHandlers) return;
    const record: LogRecord = {
      level,
      levelName: levelName(level),
      processName: selfInfo().name,
      message: format(message, ...args),
    };
    if (toDebugLog) writeDebugLine(record);
    if (!toHandlers) return;
    // The debug log already wrote this record to stderr: the stderr handler would repeat it.
    for (const handler of this.#handlers) if (!(toDebugLog && handler === stderrHandler)) handler(record);
  }

  subdebug(message: unknown, ...args: unknown[]): void {
    this.log(SUBDEBUG, message, ...args);
  }
  debug(message: unknown, ...args: unknown[]): void {
    this.log(DEBUG, message, ...args);
  }
  info(message: unknown, ...args: unknown[]): void {
    this.log(INFO, message, ...args);
  }
  subwarning(message: unknown, ...args: unknown[]): void {
    this.log(SUBWARNING, message, ...args);
  }
  warning(message: unknown, ...args: unknown[]): void {
    this.log(WARNING, message, ...args);
  }
  error(message: unknown, ...args: unknown[]): void {
    this.log(ERROR, message, ...args);
  }
  critical(message: unknown, ...args: unknown[]): void {
    this.log(CRITICAL, message, ...args);
  }

  /** @internal The level as set (0 if never set), for children to inherit. */
  get configuredLevel(): number {
    return this.#level;
  }
}

let shutdownHooked = false;

/** The main process logs its shutdown at exit, as CPython's exit function (children log theirs when run() ends). */
function announceShutdown(target: Logger): void {
  if (shutdownHooked || isChild()) return;
  shutdownHooked = true;
  process.once('exit', () => {
    // A child's runtime marks it as one after this module loaded (NODE_DEBUG hooks at load).
    if (!isChild()) target.info('process shutting down');
  });
}

const logger = new Logger();
if (debugThreshold !== Infinity) announceShutdown(logger);

export const stderrHandler: LogHandler = (record) => {
  process.stderr.write(`[${record.levelName}/${record.processName}] ${record.message}\n`);
};

/** The package's logger (CPython's `multiprocessing.get_logger()`). */
export function getLogger(): Logger {
  return logger;
}

/** Prints the package's log records to stderr as `[LEVEL/ProcessName] message`; returns the logger. */
export function logToStderr(level?: LogLevel): Logger {
  logger.addHandler(stderrHandler);
  if (level !== undefined) logger.setLevel(level);
  return logger;
}

/** What a child needs to log as its parent does. */
export interface LogSettings {
  level: number;
  toStderr: boolean;
}

export function logSettings(): LogSettings {
  return { level: logger.configuredLevel, toStderr: logger.handlers.includes(stderrHandler) };
}

export function applyLogSettings(settings: LogSettings): void {
  if (settings.level !== NOTSET) logger.setLevel(settings.level);
  if (settings.toStderr) logger.addHandler(stderrHandler);
}
