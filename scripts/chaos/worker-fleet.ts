import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

export interface WorkerFleetOptions {
  /** Environment of every worker (REDIS_URL, IMGBATCH_CONFIG, ...); built from scratch, PATH and HOME added. */
  readonly env: Readonly<Record<string, string>>;
  /** Each worker's standard error goes to `<logDir>/worker-<n>.log`. */
  readonly logDir: string;
  /** The repository root, where `src/cli/main.ts` is. */
  readonly cwd: string;
}

export interface WorkerFleet {
  /** Starts one more `imgbatch worker` process (it takes a few seconds to load and connect). */
  start(): ChildProcess;
  /** SIGKILLs the running worker at `index` (modulo the running count); resolves with its pid once it is gone. */
  kill(index: number): Promise<number | undefined>;
  running(): number;
  /** Workers started so far. */
  started(): number;
  /** SIGTERM to every worker, SIGKILL after graceMs; resolves when all are gone. */
  stopAll(graceMs: number): Promise<void>;
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function exited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  await once(child, 'exit');
}

/** `imgbatch worker` processes run through tsx, as `npm run imgbatch worker` would. */
export function createWorkerFleet(options: WorkerFleetOptions): WorkerFleet {
  const children: ChildProcess[] = [];
  let count = 0;
  const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env };
  return {
    start() {
      count++;
      const log = createWriteStream(join(options.logDir, `worker-${count}.log`));
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
        cwd: options.cwd,
        env: baseEnv,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr.pipe(log);
      children.push(child);
      return child;
    },
    async kill(index) {
      const alive = children.filter(isRunning);
      const victim = alive[index % Math.max(1, alive.length)];
      if (victim === undefined) return undefined;
      victim.kill('SIGKILL');
      await exited(victim);
      return victim.pid;
    },
    running: () => children.filter(isRunning).length,
    started: () => count,
    async stopAll(graceMs) {
      await Promise.all(
        children.filter(isRunning).map(async (child) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.kill('SIGTERM');
          await exited(child);
          clearTimeout(timer);
        }),
      );
    },
  };
}
