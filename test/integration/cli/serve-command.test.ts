import { spawn } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { uniquePrefix } from '../../helpers/redis.js';
import { imgbatchCommand } from '../../helpers/run-cli.js';

const TOKEN = 'serve-test-token-0123456789';

function cli(args: string[], env: Record<string, string>): ReturnType<typeof spawn> {
  return spawn(process.execPath, imgbatchCommand(...args), {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', REDIS_URL: inject('redisUrl'), IMGBATCH_REDIS_PREFIX: uniquePrefix('serve'), ...env },
  });
}

function finished(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      resolve({ code, stderr });
    });
  });
}

describe('imgbatch serve', () => {
  it('refuses to start without IMGBATCH_API_TOKEN, and --no-auth anywhere but a loopback address or with any Host allowed', async () => {
    const noToken = await finished(cli(['serve', '--port', '0'], {}));
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/^imgbatch: IMGBATCH_API_TOKEN is not set and the config file lists no http.clients: .*or pass --no-auth for local use/);
    const exposed = await finished(cli(['serve', '--port', '0', '--no-auth', '--host', '0.0.0.0'], {}));
    expect(exposed.code).toBe(2);
    expect(exposed.stderr).toContain('--no-auth is for local use: bind to 127.0.0.1, not 0.0.0.0');
    const anyHost = await finished(cli(['serve', '--port', '0', '--no-auth', '--allowed-hosts', '*'], {}));
    expect(anyHost.code).toBe(2);
    expect(anyHost.stderr).toContain('--no-auth with allowed hosts "*": any web page could use the API through DNS rebinding');
    const anyHostFromEnv = await finished(cli(['serve', '--port', '0', '--no-auth'], { IMGBATCH_HTTP_ALLOWED_HOSTS: 'localhost,*' }));
    expect(anyHostFromEnv.code).toBe(2);
  });

  it('serves on 127.0.0.1 with the token required, and stops cleanly on SIGTERM', async () => {
    const child = cli(['serve', '--port', '0'], { IMGBATCH_API_TOKEN: TOKEN });
    const exit = finished(child);
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => {
        reject(new Error(`serve did not start: ${seen}`));
      }, 20_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/v1/batches/x`)).status).toBe(401);
      expect((await fetch(`${url}/v1/batches/x`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    const { code, stderr } = await exit;
    expect(code).toBe(0);
    expect(stderr).toContain('imgbatch API stopping');
  });
});
