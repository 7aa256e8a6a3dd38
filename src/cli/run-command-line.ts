import { stripVTControlCharacters } from 'node:util';
import { renderUsage, runCommand, type CommandDef } from 'citty';
import { describeFailure, EXIT_CODE, exitCodeOfOutcome, type ExitCode } from './exit-code.js';
import { isColourWanted } from './is-colour-wanted.js';
import { resolveCommandLine } from './resolve-command-line.js';

export interface CommandLineIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean | undefined };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean | undefined };
  /** For NO_COLOR and TERM only. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** citty's help for a command, named by its whole path (`imgbatch deployments resume`), without colour unless wanted. */
async function helpText(command: CommandDef, path: readonly string[], version: string | undefined, isColoured: boolean): Promise<string> {
  const parent: CommandDef | undefined = path.length > 1 ? { meta: { name: path.slice(0, -1).join(' '), ...(version !== undefined && { version }) } } : undefined;
  const text = await renderUsage(command, parent);
  // citty pads its option table's last column to the longest description: trailing blanks on every line.
  const lines = (isColoured ? text : stripVTControlCharacters(text)).split('\n').map((line) => line.trimEnd());
  return `${lines.join('\n')}\n`;
}

/**
 * Runs one imgbatch command line to its exit code: help, the version, or the command, but only
 * once the whole line is understood (resolveCommandLine); otherwise a usage error naming each
 * problem, before any command code runs. Whatever a command returns or throws becomes an exit
 * code here (exit-code.ts).
 */
export async function runCommandLine(root: CommandDef, argv: readonly string[], io: CommandLineIo): Promise<ExitCode> {
  const line = await resolveCommandLine(root, argv);
  const rootMeta = typeof root.meta === 'function' ? await root.meta() : await root.meta;
  switch (line.kind) {
    case 'version':
      io.stdout.write(`${rootMeta?.version ?? 'unknown'}\n`);
      return EXIT_CODE.done;
    case 'help':
      io.stdout.write(await helpText(line.command, line.path, rootMeta?.version, isColourWanted(io.stdout, io.env)));
      return EXIT_CODE.done;
    case 'usage-error': {
      const name = line.path.join(' ');
      for (const problem of line.problems) io.stderr.write(`${name}: ${problem}\n`);
      io.stderr.write(`nothing was done; see: ${name} --help\n`);
      return EXIT_CODE.usage;
    }
    case 'run':
      try {
        const { result } = await runCommand(line.command, { rawArgs: [...line.rawArgs] });
        return exitCodeOfOutcome(result);
      } catch (error) {
        const failure = describeFailure(error);
        io.stderr.write(`imgbatch: ${failure.message}\n`);
        return failure.exitCode;
      }
  }
}
