import { spawn, type ChildProcess } from 'node:child_process';
import { inject } from 'vitest';

/** `node` and its arguments that start `imgbatch` from the run's own build (see buildForTests). */
export function imgbatchCommand(...args: string[]): string[] {
  return [inject('cliEntry'), ...args];
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `imgbatch <args>` in its own process, with only the environment given: Azure settings of the
 * machine running the tests never reach it.
 */
export function spawnCli(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, imgbatchCommand(...args), {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done };
}

/** Runs `imgbatch <args>` to the end. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return spawnCli(args, env).done;
}
