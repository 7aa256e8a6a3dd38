import type { ArgsDef, CommandDef } from 'citty';
import { ImgbatchError } from '../errors/imgbatch-error.js';

/**
 * Our own errors (bad config, bad input, Redis unreachable) are messages for the user, so
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
        if (!(error instanceof ImgbatchError)) throw error;
        process.stderr.write(`imgbatch: ${error.message}\n`);
        process.exitCode = 1;
      }
    },
  };
}
