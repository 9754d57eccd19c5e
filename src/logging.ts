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
import { atExit, ExitPriority } from './internal/exit.js';
import { isChild, selfInfo } from './process/state.js';

/**
 * Log level 5: more detail than DEBUG (CPython's `multiprocessing.util.SUBDEBUG`).
 * @category Logging
 */
export const SUBDEBUG = 5;
/**
 * Log level 10: what the package does, step by step (process starts, pool workers...).
 * @category Logging
 */
export const DEBUG = 10;
/**
 * Log level 20: lifecycle events, such as a process shutting down.
 * @category Logging
 */
export const INFO = 20;
/**
 * Log level 25: between INFO and WARNING (CPython's `multiprocessing.util.SUBWARNING`).
 * @category Logging
 */
export const SUBWARNING = 25;
/**
 * Log level 30: the logger's level until one is set.
 * @category Logging
 */
export const WARNING = 30;
/**
 * Log level 40.
 * @category Logging
 */
export const ERROR = 40;
/**
 * Log level 50.
 * @category Logging
 */
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

/**
 * A log level: a number (such as {@link DEBUG}) or its name.
 * @category Logging
 */
export type LogLevel = number | 'SUBDEBUG' | 'DEBUG' | 'INFO' | 'SUBWARNING' | 'WARNING' | 'ERROR' | 'CRITICAL';

/**
 * Receives each log record the {@link Logger} lets through (see {@link Logger.addHandler}).
 * @param record The level, its name, the name of the process that logged, the formatted message.
 * @category Logging
 */
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

/**
 * The package's logger, as {@link getLogger} returns it (CPython's `multiprocessing` logger, a
 * `logging.Logger`): silent until a handler is added ({@link logToStderr} adds one), records
 * printed as `[LEVEL/ProcessName] message`, and children inherit the parent's level and handler
 * to stderr. Messages are formatted as `util.format` does (`'%s'`, `'%d'`...).
 * @category Logging
 * @example
 * ```ts
 * import { INFO, Process, isMain, logToStderr } from 'multiprocessing-ts';
 *
 * export function work(): void {
 *   console.log('working');
 * }
 *
 * if (isMain(import.meta)) {
 *   const logger = logToStderr(INFO); // children log too: [INFO/Process-1] child process calling self.run()
 *   logger.info('starting %d worker', 1);
 *   const p = new Process({ target: work });
 *   p.start();
 *   await p.join();
 * }
 * ```
 */
export class Logger {
  /** `'multiprocessing'`, as CPython's logger. */
  readonly name = 'multiprocessing';
  #level = NOTSET;
  #handlers: LogHandler[] = [];

  /** Sets the least level that gets through (children started afterwards inherit it). */
  setLevel(level: LogLevel): void {
    this.#level = toLevel(level);
  }

  /** The least level that gets through: the one set, or {@link WARNING}. */
  getEffectiveLevel(): number {
    return this.#level === NOTSET ? WARNING : this.#level;
  }

  /** Whether a record at `level` would be printed anywhere (a handler, or the NODE_DEBUG log). */
  isEnabledFor(level: number): boolean {
    return level >= debugThreshold || (this.#handlers.length > 0 && level >= this.getEffectiveLevel());
  }

  /** Adds a handler (once, however often it is added). */
  addHandler(handler: LogHandler): void {
    if (!this.#handlers.includes(handler)) this.#handlers.push(handler);
    announceShutdown(this);
  }

  /** Removes a handler. */
  removeHandler(handler: LogHandler): void {
    this.#handlers = this.#handlers.filter((h) => h !== handler);
  }

  /** The handlers, in the order they were added. */
  get handlers(): readonly LogHandler[] {
    return this.#handlers;
  }

  /** Logs a message at `level`, formatted with `args` as `util.format` does. */
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

  /** Logs at {@link SUBDEBUG}. */
  subdebug(message: unknown, ...args: unknown[]): void {
    this.log(SUBDEBUG, message, ...args);
  }
  /** Logs at {@link DEBUG}. */
  debug(message: unknown, ...args: unknown[]): void {
    this.log(DEBUG, message, ...args);
  }
  /** Logs at {@link INFO}. */
  info(message: unknown, ...args: unknown[]): void {
    this.log(INFO, message, ...args);
  }
  /** Logs at {@link SUBWARNING}. */
  subwarning(message: unknown, ...args: unknown[]): void {
    this.log(SUBWARNING, message, ...args);
  }
  /** Logs at {@link WARNING}. */
  warning(message: unknown, ...args: unknown[]): void {
    this.log(WARNING, message, ...args);
  }
  /** Logs at {@link ERROR}. */
  error(message: unknown, ...args: unknown[]): void {
    this.log(ERROR, message, ...args);
  }
  /** Logs at {@link CRITICAL}. */
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
  atExit(() => {
    // A child's runtime marks it as one after this module loaded (NODE_DEBUG hooks at load).
    if (!isChild()) target.info('process shutting down');
  }, ExitPriority.announce);
}

const logger = new Logger();
if (debugThreshold !== Infinity) announceShutdown(logger);

/** @internal */
export const stderrHandler: LogHandler = (record) => {
  process.stderr.write(`[${record.levelName}/${record.processName}] ${record.message}\n`);
};

/**
 * The package's logger (CPython's `multiprocessing.get_logger()`); silent until a handler is
 * added, as with {@link logToStderr}.
 * @category Logging
 */
export function getLogger(): Logger {
  return logger;
}

/**
 * Prints the package's log records to stderr as `[LEVEL/ProcessName] message`, optionally
 * setting the level, and returns the logger (CPython's `multiprocessing.log_to_stderr()`).
 * Children started afterwards log to their stderr too.
 * @param level The least level printed; omitted: unchanged ({@link WARNING} until set).
 * @category Logging
 */
export function logToStderr(level?: LogLevel): Logger {
  logger.addHandler(stderrHandler);
  if (level !== undefined) logger.setLevel(level);
  return logger;
}

/** What a child needs to log as its parent does (part of what a child is started with). */
export interface LogSettings {
  level: number;
  toStderr: boolean;
}

/** @internal */
export function logSettings(): LogSettings {
  return { level: logger.configuredLevel, toStderr: logger.handlers.includes(stderrHandler) };
}

/** @internal */
export function applyLogSettings(settings: LogSettings): void {
  if (settings.level !== NOTSET) logger.setLevel(settings.level);
  if (settings.toStderr) logger.addHandler(stderrHandler);
}
