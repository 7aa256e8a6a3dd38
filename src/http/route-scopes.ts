import type { ApiScope } from '../config/api-client-config.js';

/**
 * The scope each route needs, by method and fastify's route pattern. A route not listed needs
 * `admin` (metrics, the queue board, pausing and resuming deployments, and any route added without a line here),
 * so a new route is closed to clients until someone decides who may use it. `null`: any
 * authenticated caller.
 */
const ROUTE_SCOPES: ReadonlyMap<string, ApiScope | null> = new Map<string, ApiScope | null>([
  ['GET /openapi.json', null],
  // The home page lists only the batches a client may read (its prefix); its switches need admin.
  ['GET /admin', 'read'],
  ['GET /batches/:batchId', 'read'],
  ['POST /v1/batches', 'enqueue'],
  ['POST /v1/estimate', 'enqueue'],
  ['GET /v1/batches/:batchId', 'read'],
  ['GET /v1/batches/:batchId/results', 'read'],
  ['GET /v1/batches/:batchId/images/:name', 'read'],
  ['DELETE /v1/batches/:batchId', 'cancel'],
  // Queueing a batch's images again spends as an enqueue does.
  ['POST /v1/batches/:batchId/resume', 'enqueue'],
  ['POST /v1/batches/:batchId/retry-failed', 'enqueue'],
]);

/** The scope a request to `routeUrl` (fastify's pattern) by `method` needs; HEAD needs what GET does. */
export function scopeOfRoute(method: string, routeUrl: string | undefined): ApiScope | null {
  const key = `${method === 'HEAD' ? 'GET' : method} ${routeUrl ?? ''}`;
  const scope = ROUTE_SCOPES.get(key);
  return scope === undefined ? 'admin' : scope;
}
