import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCommandOptions {
  readonly cwd?: string;
  /** The whole environment of the command (nothing is inherited). Default: PATH and HOME only. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The environment tests give commands: PATH and HOME of the test run, nothing else. */
export function minimalEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra };
}

/** Runs a program to its end and collects its output; never throws for a non-zero exit. */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? process.cwd(), env: options.env ?? minimalEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like runCommand, but a non-zero exit throws with the command's output, so a failure says why. */
export async function runCommandOrThrow(command: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${String(result.code)}\n--- stdout\n${result.stdout.slice(-4000)}\n--- stderr\n${result.stderr.slice(-4000)}`);
  }
  return result;
}

/** Whether `command` is on PATH (as `command -v` finds it). */
export async function isOnPath(command: string): Promise<boolean> {
  const result = await runCommand('sh', ['-c', `command -v ${command}`]);
  return result.code === 0;
}

/**
 * `command args` at the lowest CPU priority (nice 19): the builds that run beside the
 * timing-sensitive tests (vitest.config.ts, BUILDS) take only the CPU those leave.
 */
export function atLowPriority(command: string, args: readonly string[]): [string, string[]] {
  return ['nice', ['-n', '19', command, ...args]];
}
