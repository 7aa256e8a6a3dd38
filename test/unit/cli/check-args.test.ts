import type { ArgsDef } from 'citty';
import { describe, expect, it } from 'vitest';
import { checkArgs } from '../../../src/cli/check-args.js';

/** The shape of `imgbatch run`'s arguments: one positional, value options, switches. */
const RUN_LIKE = {
  csv: { type: 'positional', description: 'CSV file', required: true },
  batch: { type: 'string', description: 'Batch id' },
  'max-cost': { type: 'string', description: 'Budget' },
  format: { type: 'enum', options: ['csv', 'jsonl'], description: 'Format' },
  json: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  auth: { type: 'boolean', default: true },
  verbose: { type: 'boolean', alias: 'V' },
} as const satisfies ArgsDef;

describe('checkArgs accepts what citty reads as the user meant it', () => {
  it.each([
    ['the positional alone', ['a.csv']],
    ['value options spaced and with =', ['a.csv', '--batch', 'b', '--max-cost=0.5']],
    ['a value that starts with a single dash', ['a.csv', '--max-cost', '-1']],
    ['switches, =true/=false and --no-', ['a.csv', '--json', '--dry-run=false', '--no-auth']],
    ['a declared one-letter alias', ['a.csv', '-V']],
    ['an allowed enum value', ['a.csv', '--format', 'jsonl']],
    ['options before the positional', ['--json', 'a.csv']],
    ['"-" as the positional', ['-']],
    ['a positional that looks like an option, after --', ['--json', '--', '--weird.csv']],
  ])('%s', (_, tokens) => {
    expect(checkArgs(tokens, RUN_LIKE)).toEqual({ problems: [], wantsHelp: false });
  });
});

describe('checkArgs refuses what citty would read silently otherwise', () => {
  it.each([
    ['a mistyped option, naming the nearest one and taking its value with it', ['a.csv', '--max-cots', '0.01'], ['unknown option --max-cots; did you mean --max-cost?']],
    ['an option with no near name', ['a.csv', '--colour'], ['unknown option --colour']],
    ['a prefix of an option', ['a.csv', '--dry'], ['unknown option --dry; did you mean --dry-run?']],
    ['an undeclared short option', ['a.csv', '-x'], ['unknown option -x']],
    ['a stray positional', ['a.csv', 'b.csv'], ['unexpected argument "b.csv" (it takes CSV)']],
    ['the value of a switch', ['a.csv', '--json', 'yes'], ['unexpected argument "yes" (it takes CSV)']],
    ['a switch given a value with =', ['a.csv', '--json=yes'], ['--json takes no value (given "yes")']],
    ['--no- of a value option', ['a.csv', '--no-batch'], ['unknown option --no-batch']],
    ['a value option last on the line', ['a.csv', '--batch'], ['--batch needs a value']],
    ['a value option followed by another option', ['a.csv', '--batch', '--json'], ['--batch needs a value (it is followed by --json; for a value that starts with --, write --batch=VALUE)']],
    ['an empty value', ['a.csv', '--batch='], ['--batch needs a value (given an empty one)']],
    ['a value option given twice', ['a.csv', '--max-cost', '5', '--max-cost', '50'], ['--max-cost is given twice ("5", then "50"); give it once']],
    ['an enum value not allowed', ['a.csv', '--format', 'xlsx'], ['--format: "xlsx" is not allowed (allowed: csv, jsonl)']],
    ['a missing positional', ['--json'], ['missing CSV (CSV file)']],
  ])('%s', (_, tokens, problems) => {
    expect(checkArgs(tokens, RUN_LIKE).problems).toEqual(problems);
  });

  it('names every problem of the line, in order', () => {
    expect(checkArgs(['--max-cots', '1', 'a.csv', 'extra', '--jsn'], RUN_LIKE).problems).toEqual([
      'unknown option --max-cots; did you mean --max-cost?',
      'unknown option --jsn; did you mean --json?',
      'unexpected argument "extra" (it takes CSV)',
    ]);
  });

  it('says a command without positionals takes none', () => {
    expect(checkArgs(['x'], { json: { type: 'boolean' } }).problems).toEqual(['unexpected argument "x" (it takes none)']);
  });
});

describe('checkArgs and --help', () => {
  it('sees --help and -h as options, whatever else is wrong', () => {
    expect(checkArgs(['--max-cots', '--help'], RUN_LIKE).wantsHelp).toBe(true);
    expect(checkArgs(['-h'], RUN_LIKE).wantsHelp).toBe(true);
  });

  it('does not take the value of an option, or a positional after --, for a request for help', () => {
    expect(checkArgs(['a.csv', '--batch=--help'], RUN_LIKE).wantsHelp).toBe(false);
    expect(checkArgs(['--', '-h'], RUN_LIKE)).toEqual({ problems: [], wantsHelp: false });
  });
});
