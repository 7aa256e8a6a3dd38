import type { ArgsDef, CommandDef, CommandMeta, Resolvable } from 'citty';
import { checkArgs } from './check-args.js';
import { resolved } from './resolved.js';
import { nearestName } from './nearest-name.js';

/** What a command line asks for, decided before any command code runs. */
export type CommandLine =
  | { readonly kind: 'run'; readonly path: readonly string[]; readonly command: CommandDef; readonly rawArgs: readonly string[] }
  | { readonly kind: 'help'; readonly path: readonly string[]; readonly command: CommandDef }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage-error'; readonly path: readonly string[]; readonly problems: readonly string[] };

const HELP_FLAGS = new Set(['--help', '-h']);
const VERSION_FLAGS = new Set(['--version', '-v']);

async function metaOf(command: CommandDef): Promise<CommandMeta> {
  return command.meta === undefined ? {} : resolved(command.meta);
}

/** A subcommand by its name or one of its `meta.alias` names. */
async function findSubCommand(subCommands: Record<string, Resolvable<CommandDef>>, name: string): Promise<CommandDef | undefined> {
  const named = Object.hasOwn(subCommands, name) ? subCommands[name] : undefined;
  if (named !== undefined) return resolved(named);
  for (const candidate of Object.values(subCommands)) {
    const command = await resolved(candidate);
    const alias = (await metaOf(command)).alias;
    if ((Array.isArray(alias) ? alias : [alias]).includes(name)) return command;
  }
  return undefined;
}

/**
 * Walks the command tree the way citty dispatches (a command with subcommands takes the first
 * word as the subcommand's name, or runs its `default` one), then checks the leaf's arguments
 * (checkArgs). The CLI runs the leaf itself, so this walk is the only dispatch and what is
 * checked is exactly what runs. Commands with subcommands take no options of their own but
 * `--help` (and the root `--version`).
 */
export async function resolveCommandLine(root: CommandDef, argv: readonly string[]): Promise<CommandLine> {
  const path = [(await metaOf(root)).name ?? 'imgbatch'];
  let command = root;
  let rest = [...argv];
  for (;;) {
    const subCommands = command.subCommands === undefined ? undefined : await resolved(command.subCommands);
    if (subCommands === undefined || Object.keys(subCommands).length === 0) break;
    const [first, ...after] = rest;
    if (first !== undefined && HELP_FLAGS.has(first)) return { kind: 'help', path, command };
    if (command === root && first !== undefined && VERSION_FLAGS.has(first)) {
      return after.length === 0 ? { kind: 'version' } : { kind: 'usage-error', path, problems: [`${first} takes nothing else (given ${after.join(' ')})`] };
    }
    const names = Object.keys(subCommands);
    if (first === undefined || first.startsWith('-')) {
      const fallback = command.default === undefined ? undefined : await resolved(command.default);
      const fallbackCommand = fallback === undefined ? undefined : await findSubCommand(subCommands, fallback);
      if (fallback !== undefined && fallbackCommand !== undefined) {
        command = fallbackCommand;
        path.push(fallback);
        continue;
      }
      const problem = first === undefined ? 'missing command' : `${first} is not an option of ${path.join(' ')}; options go after the command`;
      return { kind: 'usage-error', path, problems: [`${problem} (commands: ${names.join(', ')})`] };
    }
    const next = await findSubCommand(subCommands, first);
    if (next === undefined) {
      const suggestion = nearestName(first, names);
      return { kind: 'usage-error', path, problems: [`unknown command ${first}${suggestion === undefined ? ` (commands: ${names.join(', ')})` : `; did you mean ${suggestion}?`}`] };
    }
    command = next;
    path.push(first);
    rest = after;
  }
  const args: ArgsDef = command.args === undefined ? {} : await resolved(command.args);
  const check = checkArgs(rest, args);
  if (check.wantsHelp) return { kind: 'help', path, command };
  if (check.problems.length > 0) return { kind: 'usage-error', path, problems: check.problems };
  return { kind: 'run', path, command, rawArgs: rest };
}
