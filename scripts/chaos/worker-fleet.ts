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
  /** More environment for worker number `worker` (1, 2, ...), e.g. its own config file. */
  readonly envFor?: (worker: number) => Promise<Readonly<Record<string, string>>>;
}

/** A worker that was SIGKILLed: its process id and its number (as `envFor` saw it). */
export interface KilledWorker {
  readonly pid: number | undefined;
  readonly worker: number;
}

export interface WorkerFleet {
  /** Starts one more `imgbatch worker` process (it takes a few seconds to load and connect). */
  start(): Promise<ChildProcess>;
  /** SIGKILLs the running worker at `index` (modulo the running count); resolves once it is gone. */
  kill(index: number): Promise<KilledWorker | undefined>;
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
  const numbers = new Map<ChildProcess, number>();
  let count = 0;
  const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env };
  return {
    async start() {
      count++;
      const worker = count;
      const extraEnv = (await options.envFor?.(worker)) ?? {};
      const log = createWriteStream(join(options.logDir, `worker-${worker}.log`));
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
        cwd: options.cwd,
        env: { ...baseEnv, ...extraEnv },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr.pipe(log);
      children.push(child);
      numbers.set(child, worker);
      return child;
    },
    async kill(index) {
      const alive = children.filter(isRunning);
      const victim = alive[index % Math.max(1, alive.length)];
      if (victim === undefined) return undefined;
      victim.kill('SIGKILL');
      await exited(victim);
      return { pid: victim.pid, worker: numbers.get(victim) ?? 0 };
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
