import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { uniquePrefix } from '../../helpers/redis.js';
import { imgbatchCommand } from '../../helpers/run-cli.js';

const TOKEN = 'healthcheck-test-token-0123456789';
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
});

/** The image's HEALTHCHECK, run from source against the process `pid` instead of PID 1. */
function healthcheck(pid: number | undefined): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/container-healthcheck.ts', String(pid)], { cwd: process.cwd() });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      resolve({ code, stdout });
    });
  });
}

/** A long-lived process whose command line reads `node -e ... /app/bin/imgbatch <args>`, as the image's main process would. */
function processNamed(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)', '/app/bin/imgbatch', ...args], { stdio: 'ignore' });
  children.push(child);
  return child;
}

async function startServe(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, imgbatchCommand('serve', '--host', '0.0.0.0', '--port', String(port)), {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: uniquePrefix('health'), IMGBATCH_API_TOKEN: TOKEN },
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('listening on')) resolve();
    });
    child.on('exit', (code) => {
      reject(new Error(`serve exited with ${code}: ${seen}`));
    });
  });
  return child;
}

describe('the container healthcheck', () => {
  it('finds a serve process healthy when its /healthz answers on the port of its command line', async () => {
    const serve = await startServe(await freePort());
    const result = await healthcheck(serve.pid);
    expect(result.stdout).toMatch(/^healthy: GET http:\/\/127\.0\.0\.1:\d+\/healthz: 200/);
    expect(result.code).toBe(0);
  });

  it('finds a serve process unhealthy when nothing answers on its port', async () => {
    const silent = processNamed(['serve', '--host', '0.0.0.0', '--port', String(await freePort())]);
    const result = await healthcheck(silent.pid);
    expect(result.stdout).toMatch(/^unhealthy: GET http:\/\/127\.0\.0\.1:\d+\/healthz: /);
    expect(result.code).toBe(1);
  });

  it('finds a worker healthy while it runs, without asking any endpoint', async () => {
    const worker = processNamed(['worker']);
    const result = await healthcheck(worker.pid);
    expect(result.stdout).toBe(`healthy: worker ${String(worker.pid)} is running (nothing to probe)\n`);
    expect(result.code).toBe(0);
  });
});
