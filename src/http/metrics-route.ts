import type { FastifyInstance } from 'fastify';
import type { PrometheusMetrics } from '../metrics/prometheus-metrics.js';

/**
 * `GET /metrics`: Prometheus text format, behind the server's bearer auth like every other
 * route (Prometheus sends a token with `authorization: { credentials: ... }` in a scrape config).
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: PrometheusMetrics): void {
  app.get('/metrics', async (_request, reply) => {
    let text: string;
    try {
      text = await metrics.render();
    } catch (error) {
      // Redis down: say so, rather than serve a page of zeros Prometheus would take as real.
      return reply.status(503).send({ error: 'metrics_unavailable', message: error instanceof Error ? error.message : String(error) });
    }
    return reply.header('content-type', metrics.contentType).send(text);
  });
}
