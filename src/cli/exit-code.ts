import { stripVTControlCharacters } from 'node:util';
import { ImgbatchError } from '../errors/imgbatch-error.js';
import { describeRedisFailure } from '../queue/describe-redis-failure.js';

/**
 * The exit codes of every imgbatch command, and the one place that decides them (docs/cli.md
 * lists them for users). 130 is 128 + SIGINT's number 2, what shells report for a process
 * stopped by Ctrl-C.
 */
export const EXIT_CODE = {
  /** Done: every image stored or filtered; for commands that make no images, the command did what it was asked. */
  done: 0,
  /** Not every requested image was made: some failed, were skipped, refused (invalid rows) or are still pending. Also an unexpected error. */
  incomplete: 1,
  /** Usage or configuration error: nothing was started. */
  usage: 2,
  /** Interrupted (SIGINT or SIGTERM); what was queued stays queued. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODE)[keyof typeof EXIT_CODE];

/** What a command's `run` returns; nothing means `done`. */
export type CommandOutcome = 'done' | 'incomplete' | 'interrupted';

export function exitCodeOfOutcome(outcome: unknown): ExitCode {
  switch (outcome) {
    case 'incomplete':
      return EXIT_CODE.incomplete;
    case 'interrupted':
      return EXIT_CODE.interrupted;
    default:
      return EXIT_CODE.done;
  }
}

export interface CommandFailure {
  readonly exitCode: ExitCode;
  /** One line for the user, or, for a bug, the stack. */
  readonly message: string;
}

/** Node's codes for a path that cannot be opened as asked: a file named on the command line or in the configuration. */
const PATH_ERROR_CODES = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM']);

/**
 * What to print and which code to exit with for an error a command threw. Invalid values,
 * configuration, a path that cannot be opened and a Redis that cannot be reached or refuses the
 * credentials are the user's to fix before anything can start: a usage error, one line. Any
 * other of our errors is one line with exit 1; anything else is a bug and keeps its stack.
 */
export function describeFailure(error: unknown): CommandFailure {
  if (error instanceof ImgbatchError) {
    const isUsage = error.code === 'VALIDATION' || error.code === 'CONFIG';
    return { exitCode: isUsage ? EXIT_CODE.usage : EXIT_CODE.incomplete, message: error.message };
  }
  const redis = describeRedisFailure(error);
  if (redis !== undefined) return { exitCode: EXIT_CODE.usage, message: redis };
  if (error instanceof Error) {
    // citty's own argument errors (a missing positional), coloured for a terminal.
    if (error.name === 'CLIError') return { exitCode: EXIT_CODE.usage, message: stripVTControlCharacters(error.message) };
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && PATH_ERROR_CODES.has(code) && (error as NodeJS.ErrnoException).path !== undefined) return { exitCode: EXIT_CODE.usage, message: error.message };
    return { exitCode: EXIT_CODE.incomplete, message: error.stack ?? error.message };
  }
  return { exitCode: EXIT_CODE.incomplete, message: String(error) };
}
