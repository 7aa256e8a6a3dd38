import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, stopChild, waitForPort } from '../../src/cli/redis-server-process.js';

const run = promisify(execFile);
/** Tries per node before a port taken under it fails the start. */
const PORT_ATTEMPTS = 5;

export interface RedisClusterProcess {
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`: the URL imgbatch takes. */
  readonly url: string;
  readonly ports: readonly number[];
  /** `redis-cli -p <port> <args>` against one node; its standard output. */
  cli(port: number, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `size` masters on 127.0.0.1, each a `redis-server --cluster-enabled yes`
 * in its own temporary folder (nothing persisted), joined with `redis-cli --cluster create`.
 * Resolves once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(size = 3): Promise<RedisClusterProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'imgbatch-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const cli = async (port: number, ...args: string[]): Promise<string> => (await run('redis-cli', ['-p', String(port), ...args])).stdout;
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => stopChild(child)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) {
      // A port found free may be taken by another test's server before this one binds it (a
      // node needs two: its own and its bus port); the node then exits at once, and is started
      // again on other ports.
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        // The bus port is named, not port + 10000, which may be taken or past 65535.
        const busPort = await freePort();
        const child = spawn(
          'redis-server',
          [
            '--port', String(port),
            '--bind', '127.0.0.1',
            '--cluster-enabled', 'yes',
            '--cluster-port', String(busPort),
            '--cluster-config-file', join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout', '5000',
            '--appendonly', 'no',
            '--save', '',
            '--dir', dir,
          ],
          { stdio: 'ignore' },
        );
        child.on('error', () => undefined);
        children.push(child);
        try {
          await waitForPort(port, 10_000, () => child.exitCode === null);
          ports.push(port);
          break;
        } catch (error) {
          if (child.exitCode === null || attempt === PORT_ATTEMPTS) throw error;
        }
      }
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    for (const port of ports) {
      while (!(await cli(port, 'cluster', 'info')).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error(`cluster node ${port} not ok after 20 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports, cli, stop };
}
