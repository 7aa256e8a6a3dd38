import { defineCommand } from 'citty';
import { createImgbatchClient } from '../../client/imgbatch-client.js';
import { loadConfig } from '../../config/load-config.js';
import { ConfigError } from '../../errors/imgbatch-error.js';
import { createHttpServer } from '../../http/create-http-server.js';
import { createRedisSessionRevocations } from '../../http/redis-session-revocations.js';
import { createDeploymentControls } from '../../limiter/deployment-controls.js';
import { createLogger } from '../../log/logger.js';
import { createPrometheusMetrics } from '../../metrics/prometheus-metrics.js';
import { createRedisClient } from '../../queue/redis-connection.js';
import { openResultStore } from '../../storage/open-result-store.js';
import { closeInOrder } from '../close-in-order.js';
import { redisTargetOf } from '../redis-target-of.js';
import { wholeNumberArg } from '../whole-number-arg.js';
import { estimateDeployments } from '../estimate-deployments.js';
import { openConfiguredInputReader } from '../../inputs/open-configured-input-reader.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

function listArg(name: string, text: string): string[] {
  const list = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (list.length === 0) throw new ConfigError(`--${name}: ${JSON.stringify(text)} lists nothing; give comma-separated entries`);
  return list;
}

function trustProxyArg(text: string): boolean | string[] {
  if (text === 'true' || text === 'false') return text === 'true';
  return listArg('trust-proxy', text);
}

export const serveCommand = defineCommand({
  meta: {
    name: 'serve',
    description:
      'Run the HTTP API (POST/GET/DELETE /v1/batches, /healthz, /openapi.json, /metrics) and the dashboard (/admin: batches and deployments, with pause/resume for admins; /admin/queues: bull-board; /batches/<id>) until SIGINT/SIGTERM. Every route but /healthz needs `Authorization: Bearer <token>`: $IMGBATCH_API_TOKEN (admin), or a client token of the config file http.clients (scopes, batch prefix, daily cap); browsers sign in with either token at /admin/login and out at /admin/logout. Workers run separately (`imgbatch worker`).',
  },
  args: {
    port: { type: 'string', description: 'Port to listen on; 0 picks a free one (default 8080)', default: '8080' },
    host: { type: 'string', description: 'Address to bind (default 127.0.0.1: this machine only)', default: '127.0.0.1' },
    'max-body-mb': { type: 'string', description: 'Largest request body in MiB (JSON or CSV); larger ones get 413 (default 10)', default: '10' },
    auth: { type: 'boolean', description: 'Require IMGBATCH_API_TOKEN; --no-auth turns auth off, on a loopback address only (local use)', default: true },
    'allowed-hosts': {
      type: 'string',
      description:
        'Host header values to answer, comma-separated (name or name:port; * for any, with auth only); localhost, 127.0.0.1 and [::1] at the port always. Default: any with auth, loopback only with --no-auth (IMGBATCH_HTTP_ALLOWED_HOSTS)',
    },
    'trust-proxy': {
      type: 'string',
      description: 'Believe X-Forwarded-For/-Proto from: true (any peer), false, or proxy addresses/CIDRs, comma-separated; default false (IMGBATCH_HTTP_TRUST_PROXY)',
    },
  },
  async run({ args }) {
    const config = loadConfig();
    const port = wholeNumberArg('port', args.port, 0, 65_535);
    const bodyLimitBytes = wholeNumberArg('max-body-mb', args['max-body-mb'], 1, 1_024) * 1024 * 1024;
    const hasClients = (config.http.clients?.length ?? 0) > 0;
    if (args.auth && config.apiToken === undefined && !hasClients) {
      throw new ConfigError(
        'IMGBATCH_API_TOKEN is not set and the config file lists no http.clients: set one (e.g. `export IMGBATCH_API_TOKEN=$(openssl rand -hex 32)`; clients: `imgbatch tokens new`), or pass --no-auth for local use',
      );
    }
    if (!args.auth && config.apiToken !== undefined) throw new ConfigError('--no-auth and IMGBATCH_API_TOKEN both given: unset one');
    if (!args.auth && hasClients) throw new ConfigError('--no-auth and the config file\'s http.clients both given: remove one');
    if (!args.auth && !LOOPBACK_HOSTS.has(args.host)) throw new ConfigError(`--no-auth is for local use: bind to 127.0.0.1, not ${args.host}, or set IMGBATCH_API_TOKEN`);
    const allowedHosts = args['allowed-hosts'] === undefined ? config.http.allowedHosts : listArg('allowed-hosts', args['allowed-hosts']);
    // Without auth, the Host check is all that keeps a web page that points its name at 127.0.0.1 (DNS rebinding) from enqueueing.
    if (!args.auth && allowedHosts?.includes('*') === true) {
      throw new ConfigError('--no-auth with allowed hosts "*": any web page could use the API through DNS rebinding; list the host names you use, or set IMGBATCH_API_TOKEN');
    }
    const trustProxy = args['trust-proxy'] === undefined ? config.http.trustProxy : trustProxyArg(args['trust-proxy']);

    const logger = createLogger({ level: config.logLevel });
    const store = await openResultStore(config.store, logger);
    // One connection for the API and its metrics: both only read and enqueue.
    const redis = createRedisClient(redisTargetOf(config), 'producer');
    const client = createImgbatchClient({ connection: redis, prefix: config.redisPrefix, store, imagesPerCall: config.worker.imagesPerCall, models: config.models, logger });
    const quotas = estimateDeployments(config);
    const metrics = createPrometheusMetrics({ connection: redis, prefix: config.redisPrefix, logger });
    const server = createHttpServer({
      ...config.http,
      ...(allowedHosts !== undefined && { allowedHosts }),
      ...(trustProxy !== undefined && { trustProxy }),
      client,
      apiToken: args.auth ? (config.apiToken ?? null) : null,
      bodyLimitBytes,
      logger,
      metrics,
      callbackPolicy: config.webhooks.policy,
      // POST /v1/estimate prices as `imgbatch estimate` does, at the same quotas.
      estimate: {
        prices: config.prices,
        deployments: quotas.deployments,
        quotasFrom: quotas.isSimulator ? 'built-in simulator' : 'config',
        models: config.models,
        imagesPerCall: config.worker.imagesPerCall,
        inputReader: await openConfiguredInputReader(config, store),
      },
      // The home page's deployments: what `imgbatch deployments` shows and switches.
      deployments: createDeploymentControls(redis, config),
      // Sign-outs in Redis: every API replica on this Redis refuses a signed-out cookie, also after a restart.
      sessionRevocations: createRedisSessionRevocations({ connection: redis, prefix: config.redisPrefix }),
    });
    try {
      const url = await server.listen({ port, host: args.host });
      process.stderr.write(`imgbatch API listening on ${url}${args.auth ? '' : ' WITHOUT AUTH (--no-auth)'}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', () => {
          resolve();
        });
        process.once('SIGINT', () => {
          resolve();
        });
      });
      process.stderr.write('imgbatch API stopping\n');
    } finally {
      // The server first, so no request is using the client or the metrics when they close.
      await closeInOrder([() => server.close(), () => metrics.close(), () => client.close(), () => redis.quit(), () => store.close()]);
    }
  },
});
