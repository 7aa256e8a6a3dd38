import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imgbatchCommand } from './run-cli.js';

/** The repository root: the worker runs `src/cli/main.ts` from here, as `npm run imgbatch` does. */
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The key the worker's config file names through `auth.apiKeyEnv`; the simulator's default key. */
const SIM_KEY_ENV = 'SIM_KEY';
const SIM_KEY = 'sim-key';

export interface WorkerDeploymentEntry {
  readonly name: string;
  /** Base URL the worker calls: the simulator's, or a relay in front of it. */
  readonly endpoint: string;
  readonly model: string;
  readonly ratePerMinute: number;
}

/**
 * Writes an `IMGBATCH_CONFIG` JSON file: the deployments (their key read from SIM_KEY, which
 * `startWorkerProcess` sets), worker and limiter settings. Returns its path.
 */
export async function writeWorkerConfig(
  dir: string,
  fileName: string,
  options: {
    readonly deployments: readonly WorkerDeploymentEntry[];
    /** The file's `worker` section (concurrency, lockDurationMs, ...). */
    readonly worker?: Readonly<Record<string, number>>;
    /** The file's `limiter` section (headroom, maxSleepMs, lateToleranceMs). */
    readonly limiter?: Readonly<Record<string, number>>;
  },
): Promise<string> {
  const path = join(dir, fileName);
  const config = {
    deployments: options.deployments.map((d) => ({
      name: d.name,
      endpoint: d.endpoint,
      deployment: d.name,
      model: d.model,
      ratePerMinute: d.ratePerMinute,
      auth: { apiKeyEnv: SIM_KEY_ENV },
    })),
    ...(options.worker !== undefined && { worker: options.worker }),
    ...(options.limiter !== undefined && { limiter: options.limiter }),
  };
  await writeFile(path, JSON.stringify(config, null, 2));
  return path;
}

export interface WorkerProcessOptions {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly outputDir: string;
  readonly configPath: string;
  /** Default `info`. */
  readonly logLevel?: 'info' | 'debug';
  /** More variables, or overrides (e.g. the key the simulator accepts, a blob store). */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Every JSON log line written so far, parsed. */
  readonly logs: ReadonlyArray<Record<string, unknown>>;
  /** Everything written to stderr so far (logs and anything else), for failure messages. */
  stderr(): string;
  /** Resolves with the first log line whose `msg` is `msg`; rejects on exit or after timeoutMs. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<WorkerExit>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL if still running after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<WorkerExit>;
  /** SIGKILL: no shutdown of any kind, as a crash or an OOM kill. */
  kill(): Promise<WorkerExit>;
}

/**
 * Starts `imgbatch worker` as its own OS process, configured only through its environment.
 * The environment is built from scratch, so Azure settings of the machine running the tests
 * never reach the worker.
 */
export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const env: Record<string, string> = {
    REDIS_URL: options.redisUrl,
    IMGBATCH_REDIS_PREFIX: options.prefix,
    IMGBATCH_OUTPUT_DIR: options.outputDir,
    IMGBATCH_CONFIG: options.configPath,
    IMGBATCH_LOG_LEVEL: options.logLevel ?? 'info',
    [SIM_KEY_ENV]: SIM_KEY,
    ...options.extraEnv,
  };
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  const child = spawn(process.execPath, imgbatchCommand('worker'), {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const { pid } = child;
  if (pid === undefined) throw new Error('worker process did not start (no pid)');

  const logs: Array<Record<string, unknown>> = [];
  let stderrText = '';
  let partialLine = '';
  const lineListeners = new Set<(line: Record<string, unknown>) => void>();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrText += chunk;
    const lines = (partialLine + chunk).split('\n');
    partialLine = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.startsWith('{')) continue;
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        logs.push(line);
        for (const listener of lineListeners) listener(line);
      } catch {
        // Not a log line (a stack trace, a tsx warning); it stays in stderrText.
      }
    }
  });

  let exit: WorkerExit | undefined;
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });

  const describe = (): string => `worker ${pid} stderr:\n${stderrText}`;

  return {
    pid,
    child,
    logs,
    stderr: () => stderrText,
    exited,
    isRunning: () => exit === undefined,
    waitForLog(msg, timeoutMs = 20_000) {
      const seen = logs.find((line) => line.msg === msg);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer);
          lineListeners.delete(listener);
        };
        const listener = (line: Record<string, unknown>): void => {
          if (line.msg !== msg) return;
          cleanup();
          resolve(line);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no "${msg}" log line after ${timeoutMs} ms; ${describe()}`));
        }, timeoutMs);
        lineListeners.add(listener);
        exited.then(
          (how) => {
            cleanup();
            reject(new Error(`worker exited (${JSON.stringify(how)}) before logging "${msg}"; ${describe()}`));
          },
          () => undefined,
        );
      });
    },
    async stop(graceMs = 10_000) {
      if (exit !== undefined) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      if (exit !== undefined) return exit;
      child.kill('SIGKILL');
      return exited;
    },
  };
}

export interface CallRelay {
  /** Give this to a worker as its deployment endpoint. */
  readonly url: string;
  /** Images calls answered 200 through this relay. */
  okCalls(): number;
  /** Every images call that went through, whatever the answer. */
  calls(): number;
  close(): Promise<void>;
}

/**
 * A transparent HTTP relay in front of the simulator. Give each worker process its own relay
 * and the relay's counts say which process sent which calls; the simulator still sees (and
 * rate-limits) every call from every process in one place.
 */
export async function createCallRelay(targetUrl: string): Promise<CallRelay> {
  const target = new URL(targetUrl);
  const agent = new Agent({ keepAlive: true });
  let calls = 0;
  let okCalls = 0;
  const isImagesCall = (req: IncomingMessage): boolean => req.method === 'POST' && (req.url ?? '').includes('/images/generations');

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const counted = isImagesCall(req);
    if (counted) calls++;
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host }, agent },
      (answer) => {
        if (counted && answer.statusCode === 200) okCalls++;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.destroy();
    });
    // A client that goes away (a killed worker) takes its upstream call with it, as on a real network.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    okCalls: () => okCalls,
    calls: () => calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      agent.destroy();
    },
  };
}
