import { randomBytes } from 'node:crypto';
import { isIP, type AddressInfo } from 'node:net';
import { fastify, type FastifyError, type FastifyInstance } from 'fastify';
import type { ImgbatchClient } from '../client/imgbatch-client.js';
import type { HttpSettings } from '../config/config.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import { createSilentLogger, type Logger } from '../log/logger.js';
import { registerBatchRoutes } from './batch-routes.js';
import { registerEstimateRoute, type EstimateSettings } from './estimate-route.js';
import { componentRef } from './api-schemas.js';
import { BodyTooLargeError } from './body-too-large-error.js';
import { registerBatchImageRoutes } from './batch-image-routes.js';
import { registerBatchResumeRoutes } from './batch-resume-routes.js';
import { createBrowserSession } from './browser-session.js';
import { createAuthFailureLimiter } from './create-auth-failure-limiter.js';
import { createAuthHook } from './create-auth-hook.js';
import { createTokenDirectory } from './create-token-directory.js';
import { scopeOfRoute } from './route-scopes.js';
import { createHostCheck } from './create-host-check.js';
import { LOGOUT_PATH, QUEUES_PATH, registerDashboardRoutes } from './dashboard-routes.js';
import { registerHomeRoutes, SESSION_FORM_ROUTES } from './home-routes.js';
import type { DeploymentControls } from '../limiter/deployment-controls.js';
import { LOGIN_PATH } from './render-login-page.js';
import { trackUnusedConnections } from './track-unused-connections.js';
import type { PrometheusMetrics } from '../metrics/prometheus-metrics.js';
import { registerMetricsRoute } from './metrics-route.js';
import { registerOpenApi } from './register-openapi.js';
import type { SessionRevocations } from './session-revocations.js';
import { zodValidatorCompiler } from './zod-validator-compiler.js';
import type { CallbackPolicy } from '../webhooks/check-callback-url.js';

/** The options of the HTTP surface's guards (HttpSettings, from `http:` in the config file) are documented there with their defaults. */
export interface HttpServerOptions extends HttpSettings {
  /** Enqueues, reads and cancels batches; made with a `store` so results can be served. The caller closes it. */
  readonly client: ImgbatchClient;
  /**
   * The admin's bearer token (IMGBATCH_API_TOKEN: every scope, every batch; browsers sign in
   * with it at /admin/login). `null` with no `clients` turns auth off (local use only, say so
   * explicitly); `null` with `clients` leaves only theirs. Required.
   */
  readonly apiToken: string | null;
  /** Largest body of POST /v1/batches, bytes (JSON and CSV); larger ones get 413; default 10 MiB. Other routes take 16 KiB, sign-in 4 KiB. */
  readonly bodyLimitBytes?: number;
  /** Prices, quotas and models of `POST /v1/estimate`; default the built-in prices and models, no quotas (durations null). */
  readonly estimate?: EstimateSettings;
  /** Hosts a batch's callback URL may name (the config's `webhooks`); default none: a batch with a callback is refused with the reason. */
  readonly callbackPolicy?: CallbackPolicy;
  /** Where unexpected errors are logged; default silent. */
  readonly logger?: Logger;
  /** Served at `GET /metrics` (Prometheus text, behind the same auth); the caller closes it. Default: no /metrics route. */
  readonly metrics?: PrometheusMetrics;
  /**
   * Where signed-out browser sessions are remembered; default this process's memory, which
   * other replicas do not see (`imgbatch serve` uses Redis: createRedisSessionRevocations).
   */
  readonly sessionRevocations?: SessionRevocations;
  /**
   * The configured deployments' state and pause/resume switches, for the dashboard's home page
   * (`imgbatch serve` passes createDeploymentControls over the config); default none: the page
   * lists batches only and says so.
   */
  readonly deployments?: DeploymentControls;
}

/** A route as fastify registered it. */
export interface RegisteredRoute {
  readonly method: string;
  /** Fastify's pattern, e.g. `/v1/batches/:batchId`. */
  readonly url: string;
}

export interface HttpServer {
  readonly app: FastifyInstance;
  /** Every route the server registered, HEAD routes included; complete once it listens (or `app.ready()` resolved). */
  readonly routes: readonly RegisteredRoute[];
  /** Starts listening; resolves with the base URL, e.g. `http://127.0.0.1:8080`. Port 0 picks a free port. */
  listen(options: { readonly port: number; readonly host?: string }): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Largest body of every route but the enqueue route (and sign-in, smaller still): none of them takes more than a few fields. */
const ROUTE_BODY_LIMIT_BYTES = 16 * 1024;
const PUBLIC_ROUTES = new Set(['/healthz', LOGIN_PATH, LOGOUT_PATH]);
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
const DEFAULT_AUTH_FAILURES_PER_MINUTE = 10;

/** proxy-addr's names for address ranges, beside addresses and CIDRs. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxyOption(value: HttpSettings['trustProxy']): boolean | string[] {
  if (value === undefined || typeof value === 'boolean') return value ?? false;
  for (const entry of value) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 4 ? 32 : 128;
    const isRange = PROXY_RANGE_NAMES.has(entry) || (family !== 0 && rest.length === 0 && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix)));
    if (!isRange) throw new ValidationError([{ field: 'trustProxy', reason: `${JSON.stringify(entry)} is not an address, a CIDR range or one of ${[...PROXY_RANGE_NAMES].join(', ')}` }]);
  }
  return [...value];
}

function wholeNumber(field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new ValidationError([{ field, reason: `${String(value)} is not a whole number ≥ ${min}` }]);
  return value;
}

/** Whether requests need a token: the admin's, or a client's from the config file. */
function isAuthOn(options: HttpServerOptions): boolean {
  return options.apiToken !== null || (options.clients?.length ?? 0) > 0;
}

/** The numbers and lists of the options, checked before anything is built. */
function checkedSettings(options: HttpServerOptions): {
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  authFailuresPerMinute: number;
  trustProxy: boolean | string[];
} {
  const requestTimeoutMs = wholeNumber('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 1);
  const headersTimeoutMs = wholeNumber('headersTimeoutMs', options.headersTimeoutMs ?? Math.min(DEFAULT_HEADERS_TIMEOUT_MS, requestTimeoutMs), 1);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ValidationError([{ field: 'headersTimeoutMs', reason: `${headersTimeoutMs} is over requestTimeoutMs (${requestTimeoutMs}): the headers are part of the request` }]);
  }
  // With auth off, the Host check is what keeps other web pages out (DNS rebinding), so it cannot be turned off.
  if (!isAuthOn(options) && options.allowedHosts?.includes('*') === true) {
    throw new ValidationError([
      { field: 'allowedHosts', reason: '"*" is not allowed with auth off: any web page whose name its owner points at this machine could use the API; list the names you use instead' },
    ]);
  }
  return {
    bodyLimitBytes: wholeNumber('bodyLimitBytes', options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES, 1),
    requestTimeoutMs,
    headersTimeoutMs,
    authFailuresPerMinute: wholeNumber('authFailuresPerMinute', options.authFailuresPerMinute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE, 1),
    trustProxy: trustProxyOption(options.trustProxy),
  };
}

/** The HTTP API's composition root: guards (Host, auth, failure limits, timeouts, body limits), error shapes; the routes hold no business rules. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { bodyLimitBytes, requestTimeoutMs, headersTimeoutMs, authFailuresPerMinute, trustProxy } = checkedSettings(options);
  // Auth on and no names listed: any Host (a rebound page has no credentials to send).
  const authIsOn = isAuthOn(options);
  const hostCheck = options.allowedHosts === undefined && authIsOn ? undefined : createHostCheck({ allowedHosts: options.allowedHosts });
  const logger = options.logger ?? createSilentLogger();
  const app = fastify({
    logger: false,
    // Behind a TLS-terminating proxy, X-Forwarded-Proto says the browser used https (so the
    // session cookie is Secure) and X-Forwarded-For names the client (whose failures are
    // counted); both are believed only from the proxies named here.
    trustProxy,
    bodyLimit: ROUTE_BODY_LIMIT_BYTES,
    // Without these a client that sends its headers or body a byte at a time holds a socket
    // for ever (fastify's requestTimeout defaults to 0, none). Node answers 408 and closes the
    // connection, checking every connectionsCheckingInterval (Node's default, 30 s, would let
    // a short timeout run up to 30 s over). Node's docs: https://nodejs.org/api/http.html#serverrequesttimeout
    requestTimeout: requestTimeoutMs,
    http: { headersTimeout: headersTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(5_000, Math.max(100, Math.floor(headersTimeoutMs / 2))) },
  });
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  // Route schemas are JSON Schemas made from zod schemas: zod validates them (one source for
  // the check and the document), and responses are sent as they are (the response schemas document).
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerOpenApi(app);

  if (hostCheck !== undefined) {
    app.addHook('onRequest', async (request, reply) => {
      const address = app.server.address();
      if (hostCheck(request.headers.host, typeof address === 'object' && address !== null ? address.port : null)) return;
      await reply.status(421).send({
        error: 'misdirected_request',
        message: `this server does not answer for Host ${JSON.stringify((request.headers.host ?? '').slice(0, 100))}; add it to the allowed hosts (IMGBATCH_HTTP_ALLOWED_HOSTS, serve --allowed-hosts)`,
      });
    });
  }

  // Browsers sign in with the admin token or a client's; the session holds that token's scopes.
  // Sessions are signed with the admin token; with client tokens only, with a key of this
  // process (a restart signs everyone out, and replicas do not share sessions).
  const sessionKey = options.apiToken ?? randomBytes(32).toString('hex');
  const tokens = createTokenDirectory({ adminToken: options.apiToken, clients: options.clients ?? [] });
  const session = authIsOn
    ? createBrowserSession({ token: sessionKey, accounts: tokens, ...(options.sessionRevocations !== undefined && { revocations: options.sessionRevocations }) })
    : undefined;
  const failures = authIsOn ? createAuthFailureLimiter({ failuresPerMinute: authFailuresPerMinute }) : undefined;
  // onRequest runs before the body is read, so an unauthenticated upload is refused unread.
  if (session !== undefined && failures !== undefined) {
    app.addHook(
      'onRequest',
      createAuthHook({ tokens, session, failures, isPublic: (url) => PUBLIC_ROUTES.has(url ?? ''), scopeOf: scopeOfRoute, isSessionForm: (url) => SESSION_FORM_ROUTES.has(url ?? ''), logoutPath: LOGOUT_PATH }),
    );
  }

  // Bodies are JSON or CSV; without this, fastify's built-in text/plain parser would take plain text too.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof BodyTooLargeError || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limitBytes = error instanceof BodyTooLargeError ? error.limitBytes : request.routeOptions.bodyLimit;
      return reply.status(413).send({ error: 'body_too_large', message: `request body is over the limit of ${limitBytes} bytes` });
    }
    if (error instanceof ValidationError) {
      return reply.status(400).send({ error: 'validation', message: error.message, issues: error.issues });
    }
    // csv-parse names malformed CSV with CSV_* codes (an unclosed quote, a bad BOM).
    if (typeof error.code === 'string' && error.code.startsWith('CSV_')) {
      return reply.status(400).send({ error: 'invalid_csv', message: error.message });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own 4xx (bad JSON, unsupported media type) carry FST_ERR_* codes; others may have none.
      const code = typeof error.code === 'string' ? error.code.toLowerCase() : 'bad_request';
      return reply.status(error.statusCode).send({ error: code, message: error.message });
    }
    logger.error({ err: error, method: request.method, url: request.url }, 'HTTP request failed');
    return reply.status(500).send({ error: 'internal', message: 'internal error; see the server log' });
  });

  // In a plugin registered after @fastify/swagger, so its onRoute hook sees every route.
  void app.register((api, _opts, done) => {
    api.get(
      '/healthz',
      {
        schema: {
          summary: 'Liveness and Redis reachability (public): up or down, never why',
          security: [],
          response: { 200: componentRef('Health', 'Redis answers'), 503: componentRef('Health', 'Redis does not answer') },
        },
      },
      async (_request, reply) => {
        try {
          await options.client.ping();
          return { status: 'up' };
        } catch (error) {
          // The route is public, and Redis errors name hosts, ports and sometimes users: the reason goes to the log only.
          logger.warn({ err: error }, 'health check: Redis does not answer');
          return reply.status(503).send({ status: 'down' });
        }
      },
    );
    api.get(
      '/openapi.json',
      {
        schema: {
          summary: 'This document, generated from the routes',
          security: [{ bearer: [] }, { session: [] }],
          response: { 200: { description: 'OpenAPI 3.1', type: 'object' }, 401: componentRef('Error', 'Missing or wrong bearer token') },
        },
      },
      () => app.swagger(),
    );
    registerBatchRoutes(api, { client: options.client, bodyLimitBytes, callbackPolicy: options.callbackPolicy ?? { allowedHosts: [] } });
    registerBatchImageRoutes(api, { client: options.client });
    registerBatchResumeRoutes(api, { client: options.client });
    registerEstimateRoute(api, { bodyLimitBytes, settings: options.estimate ?? {} });
    registerDashboardRoutes(api, { client: options.client, session, failures });
    registerHomeRoutes(api, { client: options.client, deployments: options.deployments, session, queuesPath: QUEUES_PATH, logoutPath: LOGOUT_PATH });
    if (options.metrics !== undefined) registerMetricsRoute(api, options.metrics, logger);
    done();
  });
  const unusedConnections = trackUnusedConnections(app.server);

  return {
    app,
    routes,
    async listen({ port, host = '127.0.0.1' }) {
      await app.listen({ port, host });
      const address = app.server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${shownHost}:${address.port}`;
    },
    async close() {
      const closing = app.close();
      unusedConnections.destroy();
      await closing;
    },
  };
}
