import type { ArgDef, ArgsDef } from 'citty';
import { nearestName } from './nearest-name.js';

export interface ArgsCheck {
  /** One sentence per problem, in the order found; empty when citty will read the arguments as the user meant them. */
  readonly problems: readonly string[];
  /** `--help` or `-h` was given as an option (not as another option's value). */
  readonly wantsHelp: boolean;
}

const HELP_FLAGS = new Set(['--help', '-h']);

/** Whether an option takes a value; citty reads an option without a type as a boolean. */
function takesValue(def: ArgDef): boolean {
  return def.type === 'string' || def.type === 'enum';
}

function aliasesOf(def: ArgDef): readonly string[] {
  const alias: string | string[] | undefined = 'alias' in def ? def.alias : undefined;
  return alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
}

function positionalList(positionals: ReadonlyArray<[string, ArgDef]>): string {
  return positionals.map(([name]) => name.toUpperCase()).join(' ');
}

/**
 * Checks a command's arguments against what it declares, before citty reads them. citty (0.2)
 * reads leniently: an unknown `--option` becomes a stray property nobody looks at, its value a
 * stray positional nobody looks at, a value option last on the line becomes "", and a repeated
 * one keeps the last value. For a tool that spends money each of those is a silent change of
 * meaning (`--max-cots 0.01` would run with no budget), so each is a problem here.
 *
 * Accepted: the declared options as `--name value` or `--name=value`, `--name=true|false` and
 * `--no-name` for booleans, declared single-letter aliases, the declared positionals (all after
 * `--`, whatever they look like), and `--help`/`-h`.
 */
export function checkArgs(tokens: readonly string[], args: ArgsDef): ArgsCheck {
  const options = new Map<string, { readonly name: string; readonly def: ArgDef }>();
  const positionals: Array<[string, ArgDef]> = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === 'positional') {
      positionals.push([name, def]);
      continue;
    }
    options.set(`--${name}`, { name, def });
    for (const alias of aliasesOf(def)) options.set(alias.length === 1 ? `-${alias}` : `--${alias}`, { name, def });
  }
  const optionNames = [...options.keys()].filter((key) => key.startsWith('--')).map((key) => key.slice(2));

  const problems: string[] = [];
  const given = new Map<string, string>();
  const values: string[] = [];
  let wantsHelp = false;
  let isPastOptions = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    if (isPastOptions || token === '-' || !token.startsWith('-')) {
      values.push(token);
      continue;
    }
    if (token === '--') {
      isPastOptions = true;
      continue;
    }
    if (HELP_FLAGS.has(token)) {
      wantsHelp = true;
      continue;
    }
    const equals = token.indexOf('=');
    const flag = equals === -1 ? token : token.slice(0, equals);
    let value = equals === -1 ? undefined : token.slice(equals + 1);
    let option = options.get(flag);
    let isNegated = false;
    if (option === undefined && flag.startsWith('--no-')) {
      const negated = options.get(`--${flag.slice(5)}`);
      if (negated !== undefined && !takesValue(negated.def)) {
        option = negated;
        isNegated = true;
      }
    }
    if (option === undefined) {
      const suggestion = flag.startsWith('--') ? nearestName(flag.slice(2), optionNames) : undefined;
      problems.push(`unknown option ${flag}${suggestion === undefined ? '' : `; did you mean --${suggestion}?`}`);
      // `--max-cots 0.01`: the value belongs to the mistyped option, it is not a stray argument of its own.
      const meant = suggestion === undefined ? undefined : options.get(`--${suggestion}`);
      const next = tokens[i + 1];
      if (value === undefined && meant !== undefined && takesValue(meant.def) && next !== undefined && !next.startsWith('-')) i++;
      continue;
    }
    const shown = isNegated ? flag : `--${option.name}`;
    if (!takesValue(option.def)) {
      if (value !== undefined && (isNegated || (value !== 'true' && value !== 'false'))) problems.push(`${shown} takes no value (given "${value}")`);
      continue;
    }
    if (value === undefined) {
      const next = tokens[i + 1];
      // Followed by another option, citty would silently take that option as the value.
      if (next === undefined || next.startsWith('--')) {
        problems.push(`${shown} needs a value${next === undefined ? '' : ` (it is followed by ${next}; for a value that starts with --, write ${shown}=VALUE)`}`);
        continue;
      }
      value = next;
      i++;
    }
    if (value === '') {
      problems.push(`${shown} needs a value (given an empty one)`);
      continue;
    }
    const allowed = option.def.type === 'enum' ? (option.def.options ?? []) : [];
    if (allowed.length > 0 && !allowed.includes(value)) problems.push(`${shown}: "${value}" is not allowed (allowed: ${allowed.join(', ')})`);
    const earlier = given.get(option.name);
    if (earlier !== undefined) problems.push(`${shown} is given twice ("${earlier}", then "${value}"); give it once`);
    given.set(option.name, value);
  }

  positionals.forEach(([name, def], index) => {
    if (values[index] === undefined && def.required !== false && def.default === undefined) {
      problems.push(`missing ${name.toUpperCase()}${def.description === undefined ? '' : ` (${def.description})`}`);
    }
  });
  for (const extra of values.slice(positionals.length)) {
    const takes = positionals.length === 0 ? 'it takes none' : `it takes ${positionalList(positionals)}`;
    problems.push(`unexpected argument "${extra}" (${takes})`);
  }
  return { problems, wantsHelp };
}
