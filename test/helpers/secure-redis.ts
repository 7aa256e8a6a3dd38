import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, stopChild, waitForPort } from '../../src/cli/redis-server-process.js';

const run = promisify(execFile);

export interface SecureRedisOptions {
  /** Serve TLS only (`--port 0 --tls-port P`) with a CA and server certificate made now with openssl; default false. */
  readonly tls?: boolean;
  /** Key pattern the ACL user may touch (e.g. `{prefix}*`); default every key. */
  readonly userKeyPattern?: string;
}

export interface SecureRedis {
  readonly port: number;
  /** The `default` user's password (`--requirepass`). */
  readonly password: string;
  /** An ACL user and its password. */
  readonly user: string;
  readonly userPassword: string;
  /** PEM file of the CA that signed the server certificate (TLS only). */
  readonly caFile: string | undefined;
  /** `redis[s]://<user>:<pass>@127.0.0.1:<port>` for the ACL user, or `:<password>@` for the default user. */
  url(as: 'default' | 'user', password?: string): string;
  stop(): Promise<void>;
}

async function makeCertificates(dir: string): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.crt');
  const ext = join(dir, 'server.ext');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '1', '-subj', '/CN=imgbatch test CA']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', '/CN=localhost']);
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', certFile, '-days', '1', '-extfile', ext]);
  return { caFile, certFile, keyFile };
}

/**
 * A private redis-server that wants a password (`--requirepass`) and knows one ACL user, and
 * with `tls` speaks only TLS with a certificate made at test time. Nothing persisted.
 */
export async function startSecureRedis(options: SecureRedisOptions = {}): Promise<SecureRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'imgbatch-secure-redis-'));
  const port = await freePort();
  const password = `default-${randomBytes(8).toString('hex')}`;
  const user = 'imgbatch';
  const userPassword = `user-${randomBytes(8).toString('hex')}`;
  const certificates = options.tls === true ? await makeCertificates(dir) : undefined;
  const pattern = options.userKeyPattern ?? '*';
  const args = [
    ...(certificates === undefined
      ? ['--port', String(port)]
      : ['--port', '0', '--tls-port', String(port), '--tls-cert-file', certificates.certFile, '--tls-key-file', certificates.keyFile, '--tls-ca-cert-file', certificates.caFile, '--tls-auth-clients', 'no']),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--requirepass', password,
    '--user', user, 'on', `>${userPassword}`, `~${pattern}`, `&${pattern}`, '+@all',
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  child.on('error', () => undefined);
  try {
    await waitForPort(port, 10_000, () => child.exitCode === null);
  } catch (error) {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const scheme = certificates === undefined ? 'redis' : 'rediss';
  return {
    port,
    password,
    user,
    userPassword,
    caFile: certificates?.caFile,
    url: (as, given) => (as === 'user' ? `${scheme}://${user}:${given ?? userPassword}@127.0.0.1:${port}` : `${scheme}://:${given ?? password}@127.0.0.1:${port}`),
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
