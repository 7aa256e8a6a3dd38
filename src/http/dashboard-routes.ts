import { Readable } from 'node:stream';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ImgbatchClient } from '../client/imgbatch-client.js';
import { ValidationError } from '../errors/imgbatch-error.js';
import { GALLERY_CONTENT_SECURITY_POLICY, renderGallery, type GalleryRow } from '../gallery/render-gallery.js';
import { selectGalleryRows } from '../gallery/select-gallery-rows.js';
import { safeIdSchema } from '../job/image-request.js';
import { componentRef } from './api-schemas.js';
import { HOME_PATH } from './home-routes.js';
import type { BrowserSession } from './browser-session.js';
import type { AuthFailureLimiter } from './create-auth-failure-limiter.js';
import { LOGIN_CONTENT_SECURITY_POLICY, LOGIN_PATH, renderLoginPage, type LoginProblem } from './render-login-page.js';
import { sameOriginPath } from './same-origin-path.js';
import { routeSchemaOf } from './zod-validator-compiler.js';

/** Where bull-board is mounted. */
export const QUEUES_PATH = '/admin/queues';
/** Where a browser signs out; public, like the sign-in. */
export const LOGOUT_PATH = '/admin/logout';
/** Tiles per batch page: with images loaded lazily, a page stays light even for big batches. */
const BATCH_PAGE_SIZE = 200;
/** Pages of a batch of 200 million images; anything above is a typo or a probe. */
const MAX_PAGE = 1_000_000;

export interface DashboardRoutesOptions {
  /** Supplies the queue, batch counts, manifests (needs a store). */
  readonly client: ImgbatchClient;
  /** Issues sessions at sign-in; undefined when the server runs without auth. */
  readonly session: BrowserSession | undefined;
  /** Counts wrong tokens at sign-in per client address; undefined when the server runs without auth. */
  readonly failures: AuthFailureLimiter | undefined;
}

const batchPageParamsSchema = z.strictObject({ batchId: safeIdSchema });
const batchPageQuerySchema = z.strictObject({
  page: z.coerce
    .number({ error: 'must be a whole number ≥ 1' })
    .int('must be a whole number ≥ 1')
    .min(1, 'must be at least 1')
    .max(MAX_PAGE, `must be at most ${MAX_PAGE}`)
    .default(1)
    .describe(`Page of ${BATCH_PAGE_SIZE} images, from 1`),
});
/** Largest sign-in body: a token and a path. The route is public, so it reads no more than that. */
const LOGIN_BODY_LIMIT_BYTES = 4 * 1024;

const nextSchema = z.string().max(2048).optional().describe('The same-origin path to go to after signing in (anything else goes to the dashboard)');
const loginQuerySchema = z.object({ next: nextSchema });
const loginBodySchema = z.object({ token: z.string().max(1024).default('').describe('An API token: IMGBATCH_API_TOKEN, or a client token of the config file (the session holds its scopes and batch prefix)'), next: nextSchema });

const html = (description: string): Record<string, unknown> => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const redirect = (description: string): Record<string, unknown> => ({ description, headers: { location: { type: 'string', description: 'Where the browser goes next' } }, type: 'null' });

function imagePath(batchId: string, row: GalleryRow): string {
  return `/v1/batches/${encodeURIComponent(batchId)}/images/${encodeURIComponent(`${row.id}-${row.variant}`)}`;
}

/**
 * The browser side of the API: bull-board at /admin/queues, a batch page at /batches/:id (the
 * gallery, with images served by /v1/batches/:id/images/:name), and the sign-in form that
 * turns the API token into a session cookie. Auth is the server's hook, as for every route.
 */
export function registerDashboardRoutes(app: FastifyInstance, options: DashboardRoutesOptions): void {
  const { client, session, failures } = options;

  const board = new FastifyAdapter();
  createBullBoard({
    queues: [
      new BullMQAdapter(client.queue, {
        // imgbatch owns retries and outcomes (its batch registry counts each image once);
        // retrying, removing or adding jobs behind its back would put the counts out of step.
        readOnlyMode: true,
        description: 'One job per image (per call for multi-image calls); retries and outcomes are imgbatch’s own: use imgbatch resume/cancel',
        externalJobUrl: (job) => {
          const batchId = (job.data as { batchId?: unknown } | undefined)?.batchId;
          return typeof batchId === 'string' ? { displayText: 'batch page', href: `/batches/${encodeURIComponent(batchId)}` } : { href: QUEUES_PATH };
        },
      }),
      new BullMQAdapter(client.scheduleQueue, {
        readOnlyMode: true,
        description: 'One job per run of a schedule (jobs/*.schedule.json, imgbatch schedules sync); each run becomes a batch',
      }),
    ],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'imgbatch' } },
  });
  board.setBasePath(QUEUES_PATH);
  void app.register(board.registerPlugin(), { prefix: QUEUES_PATH });

  app.get<{ Params: z.output<typeof batchPageParamsSchema>; Querystring: z.output<typeof batchPageQuerySchema> }>(
    '/batches/:batchId',
    {
      schema: {
        summary: "A batch's page: a tile per image with its status, reason and thumbnail, a page at a time",
        params: routeSchemaOf(batchPageParamsSchema),
        querystring: routeSchemaOf(batchPageQuerySchema),
        security: [{ bearer: [] }, { session: [] }],
        response: {
          200: html('The batch page'),
          400: componentRef('ValidationErrorBody', 'Not a valid batch id, or a page past the last (refused without reading the store)'),
          401: html('The sign-in page (a browser without a session), or the JSON 401 of every route'),
          404: componentRef('Error', 'No such batch, or no such page'),
          429: componentRef('Error', 'Too many failed authentications from this address; see Retry-After'),
        },
      },
    },
    async (request, reply) => {
      const { batchId } = request.params;
      const { page } = request.query;
      const summary = await client.status(batchId);
      if (summary.createdAt === undefined) return reply.status(404).send({ error: 'not_found', message: `no batch ${batchId}` });
      // The batch's image count is in Redis: a page past the last is refused before the store's manifest is read at all.
      const lastPage = Math.max(1, Math.ceil(summary.images / BATCH_PAGE_SIZE));
      if (page > lastPage) {
        throw new ValidationError([{ field: 'page', reason: `is past the last page: batch ${batchId} has ${lastPage} page(s) of ${BATCH_PAGE_SIZE} images` }]);
      }
      const offset = (page - 1) * BATCH_PAGE_SIZE;
      const selection = await selectGalleryRows(client.manifest(batchId), { offset, limit: BATCH_PAGE_SIZE });
      const pages = Math.max(1, Math.ceil(selection.total / BATCH_PAGE_SIZE));
      if (page > pages) return reply.status(404).send({ error: 'not_found', message: `batch ${batchId} has ${pages} page(s) of ${BATCH_PAGE_SIZE} images` });
      const pageHtml = renderGallery({
        title: `Batch ${batchId}`,
        subtitle: `Enqueued ${new Date(summary.createdAt).toISOString()} · ${summary.calls} API calls · ${summary.pending} pending`,
        rows: selection.rows,
        totals: selection.totals,
        linksImages: true,
        ...(pages > 1 && {
          pager: {
            label: `images ${offset + 1}–${offset + selection.rows.length} of ${selection.total}`,
            ...(page > 1 && { previousHref: `?page=${page - 1}` }),
            ...(page < pages && { nextHref: `?page=${page + 1}` }),
          },
        }),
        imageSrc: (row) => (row.status === 'stored' ? imagePath(batchId, row) : undefined),
      });
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', `${GALLERY_CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store')
        .send(Readable.from(pageHtml));
    },
  );

  // The sign-in form posts application/x-www-form-urlencoded, which only this route parses.
  void app.register((scope, _opts, done) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, parsed) => {
      parsed(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    scope.get<{ Querystring: z.output<typeof loginQuerySchema> }>(
      LOGIN_PATH,
      { schema: { summary: 'The sign-in form (public)', querystring: routeSchemaOf(loginQuerySchema), security: [], response: { 200: html('The sign-in form') } } },
      async (request, reply) => {
        const next = sameOriginPath(request.query.next, HOME_PATH);
        return reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', LOGIN_CONTENT_SECURITY_POLICY).send(renderLoginPage({ next }));
      },
    );

    scope.post<{ Body: z.output<typeof loginBodySchema> }>(
      LOGIN_PATH,
      {
        bodyLimit: LOGIN_BODY_LIMIT_BYTES,
        schema: {
          summary: 'Sign in with an API token (public; the admin token or a client token): sets the session cookie and redirects to `next` (default the home page, /admin)',
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
          body: routeSchemaOf(loginBodySchema),
          security: [],
          response: {
            303: redirect('Signed in: a session cookie (HttpOnly, SameSite=Strict) and a redirect to `next`'),
            400: componentRef('ValidationErrorBody', 'Not a form with a token'),
            401: html('Not the API token: the form again'),
            413: componentRef('Error', `Body over ${LOGIN_BODY_LIMIT_BYTES} bytes`),
            429: html('Too many failed sign-ins from this address: the form with when to try again (Retry-After)'),
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const next = sameOriginPath(body.next, HOME_PATH);
        const loginPage = (status: 401 | 429, problem: LoginProblem): FastifyReply =>
          reply
            .status(status)
            .headers(problem.kind === 'too-many-failures' ? { 'retry-after': String(problem.retryAfterSeconds) } : {})
            .header('content-type', 'text/html; charset=utf-8')
            .header('content-security-policy', LOGIN_CONTENT_SECURITY_POLICY)
            .header('cache-control', 'no-store')
            .send(renderLoginPage({ next, problem }));
        if (session !== undefined && failures !== undefined) {
          // Over its budget, a client is refused before its token is compared: it learns nothing from the try.
          const retryAfterMs = failures.retryAfterMs(request.ip);
          if (retryAfterMs > 0) {
            return loginPage(429, { kind: 'too-many-failures', retryAfterSeconds: Math.ceil(retryAfterMs / 1000) });
          }
          const principal = session.signIn(body.token);
          if (principal === undefined) {
            failures.recordFailure(request.ip);
            return loginPage(401, { kind: 'wrong-token' });
          }
          reply.header('set-cookie', session.issueCookie({ isSecure: request.protocol === 'https', name: principal.name }));
        }
        // 303: the browser follows with a GET, and reloading the next page does not post the token again.
        return reply.status(303).header('location', next).header('cache-control', 'no-store').send();
      },
    );

    // Public: it needs no more than the cookie it ends (a cookie alone never authorizes a POST).
    scope.post(
      LOGOUT_PATH,
      {
        schema: {
          summary: 'Sign out (public): ends the session server-side, so its cookie is refused wherever it is replayed, clears the cookie, and redirects to the sign-in form',
          security: [],
          response: { 303: redirect('Signed out: the cookie cleared and a redirect to the sign-in form') },
        },
      },
      async (request, reply) => {
        if (session !== undefined) {
          await session.revoke(request.headers.cookie);
          reply.header('set-cookie', session.clearCookie({ isSecure: request.protocol === 'https' }));
        }
        return reply.status(303).header('location', LOGIN_PATH).header('cache-control', 'no-store').send();
      },
    );
    done();
  });
}
