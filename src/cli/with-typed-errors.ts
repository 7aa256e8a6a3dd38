import type { ArgsDef, CommandDef } from 'citty';
import { ImgbatchError } from '../errors/imgbatch-error.js';
import { describeRedisFailure } from '../queue/describe-redis-failure.js';

/**
 * Our own errors (bad config, bad input, Redis unreachable or refusing the password) are messages for the user, so
 * they print as one line and exit 1; anything else is a bug and keeps its stack.
 */
export function withTypedErrors<T extends ArgsDef>(command: CommandDef<T>): CommandDef<T> {
  const run = command.run;
  if (run === undefined) return command;
  return {
    ...command,
    async run(context) {
      try {
        await run(context);
      } catch (error) {
        // An unreachable Redis or a wrong password is the user's to fix, not a bug: one line.
        const message = error instanceof ImgbatchError ? error.message : describeRedisFailure(error);
        if (message === undefined) throw error;
        process.stderr.write(`imgbatch: ${message}\n`);
        process.exitCode = 1;
      }
    },
  };
}
