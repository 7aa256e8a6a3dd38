import { defineCommand, type CommandDef } from 'citty';
import { describe, expect, it } from 'vitest';
import { ConfigError, ImgbatchError, ValidationError } from '../../../src/errors/imgbatch-error.js';
import type { CommandOutcome } from '../../../src/cli/exit-code.js';
import { runCommandLine, type CommandLineIo } from '../../../src/cli/run-command-line.js';

function fakeIo(options: { isTTY?: boolean; env?: Record<string, string> } = {}): CommandLineIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { isTTY: options.isTTY ?? false, write: (text: string) => (out += text) },
    stderr: { isTTY: options.isTTY ?? false, write: (text: string) => (err += text) },
    env: options.env ?? {},
    out: () => out,
    err: () => err,
  };
}

/** A tool like imgbatch: `spend` runs what it is given and counts its runs. */
function tool(run: (args: Record<string, unknown>) => Promise<CommandOutcome | undefined>): { root: CommandDef; runs: () => number } {
  let runs = 0;
  const spend = defineCommand({
    meta: { name: 'spend', description: 'Spends money' },
    args: { csv: { type: 'positional', description: 'CSV file', required: true }, 'max-cost': { type: 'string', description: 'Budget in USD' }, json: { type: 'boolean', default: false } },
    async run({ args }) {
      runs++;
      return run(args);
    },
  });
  const root = defineCommand({ meta: { name: 'tool', version: '9.8.7', description: 'A tool' }, subCommands: { spend } });
  return { root, runs: () => runs };
}

describe('runCommandLine', () => {
  it('refuses an unknown option with exit 2 before the command runs, naming the option meant', async () => {
    const { root, runs } = tool(() => Promise.resolve(undefined));
    const io = fakeIo();
    expect(await runCommandLine(root, ['spend', 'a.csv', '--max-cots', '0.01'], io)).toBe(2);
    expect(runs()).toBe(0);
    expect(io.err()).toBe('tool spend: unknown option --max-cots; did you mean --max-cost?\nnothing was done; see: tool spend --help\n');
    expect(io.out()).toBe('');
  });

  it.each([
    [undefined, 0],
    ['done', 0],
    ['incomplete', 1],
    ['interrupted', 130],
  ] as const)('exits with the code of the outcome the command returns: %s -> %i', async (outcome, code) => {
    const { root } = tool(() => Promise.resolve(outcome));
    expect(await runCommandLine(root, ['spend', 'a.csv'], fakeIo())).toBe(code);
  });

  it.each([
    ['a configuration error', new ConfigError('AZURE_OPENAI_DEPLOYMENT_NAME: must be set'), 2, 'imgbatch: AZURE_OPENAI_DEPLOYMENT_NAME: must be set\n'],
    ['a bad flag value', new ValidationError([{ field: '--max-cost', reason: '"lots" is not an amount' }]), 2, 'imgbatch: --max-cost: "lots" is not an amount\n'],
    ['a file that is not there', Object.assign(new Error("ENOENT: no such file or directory, open 'a.csv'"), { code: 'ENOENT', path: 'a.csv' }), 2, "imgbatch: ENOENT: no such file or directory, open 'a.csv'\n"],
    ['Redis refusing the password', new Error('WRONGPASS invalid username-password pair'), 2, 'imgbatch: Redis refused the credentials in REDIS_URL: WRONGPASS invalid username-password pair\n'],
    ['another of our errors', new ImgbatchError('STORAGE', 'the store refused the write'), 1, 'imgbatch: the store refused the write\n'],
  ])('maps %s to its exit code with a one-line message', async (_, error, code, message) => {
    const { root } = tool(() => Promise.reject(error));
    const io = fakeIo();
    expect(await runCommandLine(root, ['spend', 'a.csv'], io)).toBe(code);
    expect(io.err()).toBe(message);
  });

  it('prints a bug with its stack and exits 1', async () => {
    const { root } = tool(() => Promise.reject(new TypeError('x is undefined')));
    const io = fakeIo();
    expect(await runCommandLine(root, ['spend', 'a.csv'], io)).toBe(1);
    expect(io.err()).toMatch(/^imgbatch: TypeError: x is undefined\n\s+at /);
  });

  it('prints the version alone on stdout', async () => {
    const io = fakeIo();
    expect(await runCommandLine(tool(() => Promise.resolve(undefined)).root, ['--version'], io)).toBe(0);
    expect(io.out()).toBe('9.8.7\n');
  });

  it('prints help named by the whole command path, on stdout, exit 0, without the command running', async () => {
    const { root, runs } = tool(() => Promise.resolve(undefined));
    const io = fakeIo();
    expect(await runCommandLine(root, ['spend', '--help'], io)).toBe(0);
    expect(runs()).toBe(0);
    expect(io.out()).toContain('USAGE tool spend [OPTIONS] <CSV>');
    expect(io.out()).toContain('(tool spend v9.8.7)');
    expect(io.out()).not.toMatch(/ +$/m);
  });
});
