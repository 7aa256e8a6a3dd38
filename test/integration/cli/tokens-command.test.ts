import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { hashApiToken } from '../../../src/http/hash-api-token.js';
import { runCli, spawnCli } from '../../helpers/run-cli.js';

describe('imgbatch tokens: client tokens for the config file, never the token in it', () => {
  it('new prints a random token and the http.clients entry with its SHA-256, which the config loader takes', async () => {
    const result = await runCli(['tokens', 'new', '--name', 'shop', '--scopes', 'enqueue,read', '--prefix', 'shop-', '--daily-cap', '5'], {});
    expect(result.code).toBe(0);
    const token = /^token: ([0-9a-f]{64})$/m.exec(result.stdout)?.[1] ?? '';
    const entry = JSON.parse(/^- (\{.*\})$/m.exec(result.stdout)?.[1] ?? 'null') as Record<string, unknown>;
    expect(entry).toEqual({ name: 'shop', tokenSha256: hashApiToken(token), scopes: ['enqueue', 'read'], batchPrefix: 'shop-', dailyCapUsd: 5 });

    const dir = await mkdtemp(join(tmpdir(), 'imgbatch-tokens-'));
    try {
      await writeFile(join(dir, 'imgbatch.json'), JSON.stringify({ http: { clients: [entry] } }));
      expect(loadConfig({ env: { IMGBATCH_CONFIG: join(dir, 'imgbatch.json') } }).http.clients).toEqual([entry]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const badScope = await runCli(['tokens', 'new', '--name', 'shop', '--scopes', 'write'], {});
    expect(badScope.code).not.toBe(0);
    expect(badScope.stderr).toContain('must be one of enqueue, read, cancel, admin');
  });

  it('hash prints the SHA-256 of a token from standard input, and refuses a short one', async () => {
    const token = 'f'.repeat(40);
    const { child, done } = spawnCli(['tokens', 'hash'], {});
    child.stdin?.end(`${token}\n`);
    const result = await done;
    expect(result).toMatchObject({ code: 0, stdout: `${hashApiToken(token)}\n` });

    const short = spawnCli(['tokens', 'hash'], {});
    short.child.stdin?.end('secret\n');
    const refused = await short.done;
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('token: is 6 characters; a client token must be random and at least 32');
  });
});
