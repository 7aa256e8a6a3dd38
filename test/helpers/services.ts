import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, startRedisServer as startRedisProcess, stopChild, waitForPort } from '../../src/cli/redis-server-process.js';

export interface RunningService {
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A private redis-server on a free port, nothing persisted unless `appendOnly`. Tests never
 * touch the machine's shared Redis on 6379.
 */
export async function startRedisServer(options: { port?: number; dir?: string; appendOnly?: boolean } = {}): Promise<RunningService> {
  const server = await startRedisProcess(options);
  return { port: server.port, process: server.process, stop: () => server.stop() };
}

/**
 * Azurite's blob service from node_modules on a free port (or the one given): in memory, or in
 * `location` (a folder), so that a stop and a start on the same port keep the blobs.
 */
export async function startAzurite(options: { port?: number; location?: string } = {}): Promise<RunningService & { connectionString: string }> {
  const port = options.port ?? (await freePort());
  const bin = join(process.cwd(), 'node_modules', '.bin', 'azurite-blob');
  const persistence = options.location === undefined ? ['--inMemoryPersistence'] : ['--location', options.location];
  const child = spawn(
    bin,
    ['--blobHost', '127.0.0.1', '--blobPort', String(port), ...persistence, '--skipApiVersionCheck', '--disableTelemetry', '--silent', '--loose'],
    { stdio: 'ignore' },
  );
  child.on('error', () => undefined);
  await waitForPort(port, 20_000, () => child.exitCode === null);
  // Azurite's well-known development account (public, documented by Microsoft).
  const accountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${accountKey};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
  return {
    port,
    process: child,
    connectionString,
    stop: () => stopChild(child),
  };
}
