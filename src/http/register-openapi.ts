import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { buildApiComponents } from './api-schemas.js';
import { QUEUES_PATH } from './dashboard-routes.js';

/**
 * Registers @fastify/swagger, which builds the OpenAPI 3.1 document from the schemas of the
 * routes registered after it (`app.swagger()`), so the document lists exactly the routes the
 * server has, with the schemas they validate with. Must be registered before the routes.
 */
export function registerOpenApi(app: FastifyInstance): void {
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'imgbatch HTTP API',
        version: '1',
        description: [
          'Enqueue image prompts as batches, follow them, page through their results, cancel what has not started.',
          'Each operation lists its security: most need `Authorization: Bearer <IMGBATCH_API_TOKEN>`, reads also take the browser session cookie set at /admin/login,',
          'and /healthz and the sign-in and sign-out routes are public.',
          'Too many failed authentications from one address are answered 429 with Retry-After; a request whose Host header the server does not serve is answered 421.',
        ].join(' '),
      },
      security: [{ bearer: [] }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'The value of IMGBATCH_API_TOKEN' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'imgbatch_session',
            description: 'A browser session, set by signing in with the token at /admin/login (form POST); good for GET and HEAD only, never for changes; ended by POST /admin/logout',
          },
        },
        schemas: buildApiComponents(),
      },
    },
    // bull-board hides its routes; its entry page is the dashboard, so the document lists that
    // one (fastify serves bull-board's `/` at the prefix without the trailing slash).
    transform: ({ schema, url, route }) => {
      if ((url === QUEUES_PATH || url === `${QUEUES_PATH}/`) && route.method === 'GET') {
        return {
          url: QUEUES_PATH,
          schema: {
            summary: 'The queue dashboard (bull-board, read-only): jobs by state, their data and errors',
            security: [{ bearer: [] }, { session: [] }],
            response: { 200: { description: 'The dashboard page', content: { 'text/html': { schema: { type: 'string' } } } } },
          },
        };
      }
      return { schema, url };
    },
  });
}
