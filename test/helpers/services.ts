import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface RunningService {
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (isOpen) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

/**
 * A private redis-server on a free port, nothing persisted unless `appendOnly`. Tests never
 * touch the machine's shared Redis on 6379.
 */
export async function startRedisServer(options: { port?: number; dir?: string; appendOnly?: boolean } = {}): Promise<RunningService> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'imgbatch-redis-')));
  const ownsDir = options.dir === undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--appendonly', options.appendOnly === true ? 'yes' : 'no'];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  child.on('error', () => undefined);
  await waitForPort(port, 10_000);
  return {
    port,
    process: child,
    async stop() {
      await stopProcess(child);
      if (ownsDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Azurite's blob service from node_modules, in memory, on a free port. */
export async function startAzurite(): Promise<RunningService & { connectionString: string }> {
  const port = await freePort();
  const bin = join(process.cwd(), 'node_modules', '.bin', 'azurite-blob');
  const child = spawn(
    bin,
    ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent', '--loose'],
    { stdio: 'ignore' },
  );
  child.on('error', () => undefined);
  await waitForPort(port, 20_000);
  // Azurite's well-known development account (public, documented by Microsoft).
  const accountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${accountKey};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
  return {
    port,
    process: child,
    connectionString,
    async stop() {
      await stopProcess(child);
    },
  };
}
