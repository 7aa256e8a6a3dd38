import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ImgbatchClient } from '../client/imgbatch-client.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import type { DeploymentControls } from '../limiter/deployment-controls.js';
import { componentRef } from './api-schemas.js';
import { hasScope, principalOf } from './api-principal.js';
import type { BrowserSession } from './browser-session.js';
import { isCrossSite, isCsrfTokenAccepted, isSameOrigin } from './form-csrf.js';
import { HOME_CONTENT_SECURITY_POLICY, renderHomePage } from './render-home-page.js';
import { routeSchemaOf, validatedBy } from './zod-validator-compiler.js';

/** The dashboard's home page: where a browser lands after signing in. */
export const HOME_PATH = '/admin';
/** Where the pause and resume forms of a deployment post: `<path>/pause`, `<path>/resume`. */
const DEPLOYMENT_PATH = '/admin/deployments';
/** The form routes a session cookie may post to (with this server's Origin and the session's CSRF token). */
export const SESSION_FORM_ROUTES: ReadonlySet<string> = new Set([`${DEPLOYMENT_PATH}/:name/pause`, `${DEPLOYMENT_PATH}/:name/resume`]);
/** Batches per page of the home page. */
const BATCHES_PER_PAGE = 20;
/** Pages of 20 batches past which anything is a typo or a probe. */
const MAX_PAGE = 100_000;

export interface HomeRoutesOptions {
  /** Reads the batch index. */
  readonly client: ImgbatchClient;
  /** The deployments' state and switches; undefined: the page says the server has no deployments' configuration. */
  readonly deployments: DeploymentControls | undefined;
  /** Hands out the CSRF token of the browser's session; undefined when the server runs without auth. */
  readonly session: BrowserSession | undefined;
  /** Where bull-board is mounted, linked for admins. */
  readonly queuesPath: string;
  readonly logoutPath: string;
}

const homeQuerySchema = z.strictObject({
  page: z.coerce
    .number({ error: 'must be a whole number ≥ 1' })
    .int('must be a whole number ≥ 1')
    .min(1, 'must be at least 1')
    .max(MAX_PAGE, `must be at most ${MAX_PAGE}`)
    .default(1)
    .describe(`Page of ${BATCHES_PER_PAGE} batches, newest first, from 1`),
});
const deploymentParamsSchema = z.strictObject({ name: z.string().min(1).max(256).describe('A configured deployment') });
const deploymentBodySchema = z.object({
  csrf: z.string().max(256).optional().describe("The session's CSRF token (the home page's forms carry it); not needed with a bearer header"),
  action: z.string().max(16).optional().describe("The form button's name (ignored)"),
});

const html = (description: string): Record<string, unknown> => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });

type DeploymentAction = 'pause' | 'resume';

/**
 * The operator's home page at /admin (the batches and the deployments), and the pause and
 * resume forms of its deployment cards. What a principal sees follows its scopes (`read` to
 * see, `admin` for the switches, as the auth hook enforces) and its batch prefix (only its own
 * batches are listed).
 */
export function registerHomeRoutes(app: FastifyInstance, options: HomeRoutesOptions): void {
  const { client, deployments, session } = options;

  app.get<{ Querystring: z.output<typeof homeQuerySchema> }>(
    HOME_PATH,
    {
      schema: {
        summary: 'The dashboard’s home page: batches (newest first, paged) and deployments (state, rate, calls per minute over the last hour, pause and resume for admins)',
        querystring: routeSchemaOf(homeQuerySchema),
        security: [{ bearer: [] }, { session: [] }],
        response: {
          200: html('The home page'),
          400: componentRef('ValidationErrorBody', 'Not a page number, or a page past the last'),
          401: html('The sign-in page (a browser without a session), or the JSON 401 of every route'),
        },
      },
    },
    async (request, reply) => {
      const { page } = request.query;
      const principal = principalOf(request);
      const batchPage = await client.batchPage({ offset: (page - 1) * BATCHES_PER_PAGE, limit: BATCHES_PER_PAGE, idPrefix: principal?.batchPrefix });
      const pages = Math.max(1, Math.ceil(batchPage.total / BATCHES_PER_PAGE));
      if (page > pages) throw new ValidationError([{ field: 'page', reason: `is past the last page: ${batchPage.total} batch(es) make ${pages} page(s) of ${BATCHES_PER_PAGE}` }]);
      const signedIn = session === undefined ? undefined : await session.signedIn(request.headers.cookie);
      const isAdmin = principal === undefined || hasScope(principal, 'admin');
      const pageHtml = renderHomePage({
        signedInAs: principal?.name,
        canControl: isAdmin,
        // A bearer caller gets the page too; its forms would need the token again, so they carry no CSRF token.
        csrfToken: signedIn?.principal.name === principal?.name ? signedIn?.csrfToken : undefined,
        linksQueues: isAdmin,
        queuesPath: options.queuesPath,
        logoutPath: options.logoutPath,
        deploymentPath: (name) => `${DEPLOYMENT_PATH}/${encodeURIComponent(name)}`,
        batches: batchPage,
        page,
        pageSize: BATCHES_PER_PAGE,
        deployments: deployments === undefined ? undefined : await deployments.statuses(),
        nowMs: Date.now(),
      });
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', HOME_CONTENT_SECURITY_POLICY)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store')
        .send(pageHtml);
    },
  );

  // The forms post application/x-www-form-urlencoded, which only these routes (and sign-in) parse.
  void app.register((scope, _opts, done) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, parsed) => {
      parsed(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    const register = (action: DeploymentAction): void => {
      scope.post<{ Params: z.output<typeof deploymentParamsSchema>; Body: z.output<typeof deploymentBodySchema> | null }>(
        `${DEPLOYMENT_PATH}/:name/${action}`,
        {
          schema: {
            summary:
              action === 'pause'
                ? 'Pause a deployment (admin): every worker stops calling it until it is resumed (`imgbatch deployments resume`)'
                : 'Resume a paused deployment (admin): workers call it again',
            consumes: ['application/x-www-form-urlencoded', 'application/json'],
            params: routeSchemaOf(deploymentParamsSchema),
            // Validated to also take null, which is how fastify hands over a POST with no body (a bearer caller's).
            body: validatedBy(routeSchemaOf(deploymentBodySchema), deploymentBodySchema.nullable()),
            security: [{ bearer: [] }, { session: [] }],
            response: {
              200: { description: 'Done (a JSON caller)', type: 'object' },
              303: { description: 'Done (a form): back to the home page', type: 'null' },
              401: componentRef('Error', 'Missing or wrong bearer token, and no session'),
              403: componentRef('Error', 'Not an admin; a session form from another origin or without its CSRF token'),
              404: componentRef('Error', 'No deployment of that name is configured'),
            },
          },
        },
        async (request, reply) => {
          // A request from another site is refused whatever its credentials and body type: with
          // auth off (serve --no-auth) the Origin is all that tells this server's page from any
          // other, and a cross-site fetch with no body needs no form to pause a deployment.
          // Browsers send Origin on every cross-origin POST; a form must carry it.
          if (isCrossSite(request) || (isForm(request) && !isSameOrigin(request))) {
            return reply.status(403).send({ error: 'cross_origin', message: 'a dashboard form must be posted from this server’s own pages (Origin)' });
          }
          if (!isCsrfTokenAccepted(request, request.body?.csrf)) {
            return reply.status(403).send({ error: 'csrf_token', message: 'the form does not carry this session’s CSRF token: reload the page and try again' });
          }
          const { name } = request.params;
          const done = deployments === undefined ? false : await switchDeployment(deployments, action, name, request);
          if (!done) return reply.status(404).send({ error: 'not_found', message: `no deployment ${name} is configured` });
          if (isForm(request)) return reply.status(303).header('location', HOME_PATH).header('cache-control', 'no-store').send();
          return { deployment: name, state: action === 'pause' ? 'paused' : 'running' };
        },
      );
    };
    register('pause');
    register('resume');
    done();
  });
}

function isForm(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

function switchDeployment(deployments: DeploymentControls, action: DeploymentAction, name: string, request: FastifyRequest): Promise<boolean> {
  switch (action) {
    case 'pause':
      return deployments.pause(name, `paused from the dashboard by ${principalOf(request)?.name ?? 'a local user (no auth)'}`);
    case 'resume':
      return deployments.resume(name);
  }
}
