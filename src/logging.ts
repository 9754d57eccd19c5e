/**
 * CPython's `multiprocessing` logger: silent until `logToStderr()` (or a level) is set, records
 * printed as `[LEVEL/ProcessName] message`, and children inherit the parent's settings.
 */
import { format } from 'node:util';
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

  isEnabledFor(level: number): boolean {
    return this.#handlers.length > 0 && level >= this.getEffectiveLevel();
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
    if (!this.isEnabledFor(level)) return;
    const record = {
      level,
      levelName: levelName(level),
      processName: selfInfo().name,
      message: format(message, ...args),
    };
    for (const handler of this.#handlers) handler(record);
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
  process.once('exit', () => target.info('process shutting down'));
}

const logger = new Logger();

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
