import type { CommandDef } from 'citty';
import { describe, expect, it } from 'vitest';
import { imgbatchCommand } from '../../../src/cli/imgbatch-command.js';
import { resolveCommandLine } from '../../../src/cli/resolve-command-line.js';
import { resolved } from '../../../src/cli/resolved.js';

/** Every runnable command of the real tree with the words that name it and its required positionals. */
async function leaves(command: CommandDef, words: string[] = []): Promise<Array<{ words: string[]; positionals: string[] }>> {
  const subCommands = command.subCommands === undefined ? undefined : await resolved(command.subCommands);
  if (subCommands !== undefined) return (await Promise.all(Object.entries(subCommands).map(async ([name, sub]) => leaves(await resolved(sub), [...words, name])))).flat();
  const args = (command.args ?? {}) as Record<string, { type?: string; required?: boolean }>;
  const positionals = Object.values(args)
    .filter((a) => a.type === 'positional' && a.required !== false)
    .map(() => 'x.csv');
  return [{ words, positionals }];
}

describe('resolveCommandLine on the real command tree', async () => {
  const all = await leaves(imgbatchCommand);

  it('knows every command', () => {
    expect(all.map((l) => l.words.join(' ')).sort()).toEqual([
      'batches list',
      'batches prune',
      'cancel',
      'deployments list',
      'deployments resume',
      'enqueue',
      'estimate',
      'gallery',
      'results',
      'resume',
      'run',
      'schedules list',
      'schedules sync',
      'serve',
      'simulate',
      'status',
      'tokens hash',
      'tokens new',
      'worker',
    ]);
  });

  it.each(all.map((l) => [l.words.join(' '), l] as const))('%s refuses an unknown option and a stray argument before running', async (_, leaf) => {
    const line = await resolveCommandLine(imgbatchCommand, [...leaf.words, ...leaf.positionals, '--no-such-option', 'stray-1', 'stray-2']);
    expect(line.kind).toBe('usage-error');
    if (line.kind !== 'usage-error') return;
    expect(line.path).toEqual(['imgbatch', ...leaf.words]);
    expect(line.problems[0]).toBe('unknown option --no-such-option');
    expect(line.problems.join('\n')).toContain('unexpected argument "stray-2"');
  });

  it('names the option a typo meant: run --max-cots 0.01', async () => {
    expect(await resolveCommandLine(imgbatchCommand, ['run', 'jobs/example.csv', '--max-cots', '0.01'])).toEqual({
      kind: 'usage-error',
      path: ['imgbatch', 'run'],
      problems: ['unknown option --max-cots; did you mean --max-cost?'],
    });
  });

  it('runs a well-formed line with the arguments after the command words', async () => {
    const line = await resolveCommandLine(imgbatchCommand, ['schedules', 'sync', '--dir', 'jobs', '--json']);
    expect(line).toMatchObject({ kind: 'run', path: ['imgbatch', 'schedules', 'sync'], rawArgs: ['--dir', 'jobs', '--json'] });
  });

  it('runs a group\'s default command when no command word is given: deployments is deployments list', async () => {
    expect(await resolveCommandLine(imgbatchCommand, ['deployments', '--json'])).toMatchObject({ kind: 'run', path: ['imgbatch', 'deployments', 'list'], rawArgs: ['--json'] });
  });

  it.each([
    [['rn', 'a.csv'], ['imgbatch'], 'unknown command rn; did you mean run?'],
    [['schedules', 'synk'], ['imgbatch', 'schedules'], 'unknown command synk; did you mean sync?'],
    [[], ['imgbatch'], 'missing command (commands: run, enqueue, estimate, worker, status, simulate, deployments, cancel, serve, results, gallery, resume, schedules, batches, tokens)'],
    [['--json', 'status'], ['imgbatch'], '--json is not an option of imgbatch; options go after the command (commands: run, enqueue, estimate, worker, status, simulate, deployments, cancel, serve, results, gallery, resume, schedules, batches, tokens)'],
    [['--version', 'run'], ['imgbatch'], '--version takes nothing else (given run)'],
  ])('refuses %j', async (argv, path, problem) => {
    expect(await resolveCommandLine(imgbatchCommand, argv)).toEqual({ kind: 'usage-error', path, problems: [problem] });
  });

  it('gives help for the command it is asked of, even on a line with other mistakes', async () => {
    expect(await resolveCommandLine(imgbatchCommand, ['--help'])).toMatchObject({ kind: 'help', path: ['imgbatch'] });
    expect(await resolveCommandLine(imgbatchCommand, ['deployments', 'resume', '-h'])).toMatchObject({ kind: 'help', path: ['imgbatch', 'deployments', 'resume'] });
    expect(await resolveCommandLine(imgbatchCommand, ['run', '--max-cots', '--help'])).toMatchObject({ kind: 'help', path: ['imgbatch', 'run'] });
  });

  it('gives the version for --version or -v alone', async () => {
    expect(await resolveCommandLine(imgbatchCommand, ['--version'])).toEqual({ kind: 'version' });
    expect(await resolveCommandLine(imgbatchCommand, ['-v'])).toEqual({ kind: 'version' });
  });
});
