import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log/logger.js';
import type { PrometheusMetrics } from '../metrics/prometheus-metrics.js';
import { componentRef } from './api-schemas.js';

/**
 * `GET /metrics`: Prometheus text format, behind the server's bearer auth like every other
 * route (Prometheus sends a token with `authorization: { credentials: ... }` in a scrape config).
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: PrometheusMetrics, logger: Logger): void {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics of the whole cluster: calls by deployment and outcome, 429s, filtered images, retries, call durations, queue depth, limiter rate and utilization',
        security: [{ bearer: [] }, { session: [] }],
        response: {
          200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
          401: componentRef('Error', 'Missing or wrong bearer token'),
          429: componentRef('Error', 'Too many failed authentications from this address; see Retry-After'),
          503: componentRef('Error', 'Redis does not answer'),
        },
      },
    },
    async (_request, reply) => {
      let text: string;
      try {
        text = await metrics.render();
      } catch (error) {
        // Redis down: say so, rather than serve a page of zeros Prometheus would take as real.
        // Why goes to the log: Redis errors name hosts and ports.
        logger.warn({ err: error }, 'metrics: Redis does not answer');
        return reply.status(503).send({ error: 'metrics_unavailable', message: 'the metrics cannot be read (Redis does not answer); see the server log' });
      }
      return reply.header('content-type', metrics.contentType).send(text);
    },
  );
}
