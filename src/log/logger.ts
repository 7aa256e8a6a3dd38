import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out wherever they appear in a log object. Secrets reach the logger only
 * by accident (an error carrying request options, a config dump); this is the net under it.
 */
const REDACTED_PATHS: readonly string[] = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'connectionString',
  '*.connectionString',
  'password',
  '*.password',
  'headers["api-key"]',
  'headers.authorization',
  '*.headers["api-key"]',
  '*.headers.authorization',
  'token',
  '*.token',
  // ioredis errors for AUTH carry the command, password included (a BullMQ connection's own
  // duplicate reports them through the worker's 'error' event, unscrubbed).
  'err.command.args',
  '*.command.args',
];

export interface LoggerOptions {
  /** pino level; default `info`. */
  readonly level?: string;
  /** Where lines go; default standard error, so standard output stays for results. */
  readonly destination?: NodeJS.WritableStream;
}

/** Structured JSON lines with secrets redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that drops everything, for library callers that pass none. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
