import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ImgbatchClient } from '../client/imgbatch-client.js';
import { safeIdSchema } from '../job/image-request.js';
import { componentRef } from './api-schemas.js';
import { routeSchemaOf } from './zod-validator-compiler.js';

/** The types the stores write; anything else is sent as a download, never rendered. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

const imageParamsSchema = z.strictObject({
  batchId: safeIdSchema,
  name: z
    .string()
    .max(160)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*-\d{1,3}$/, 'must be <request id>-<variant>, e.g. mug-0')
    .describe('`<request id>-<variant>`, e.g. `mug-0`'),
});

const binary = { schema: { type: 'string', format: 'binary' } };

export interface BatchImageRoutesOptions {
  /** Reads images through its store. */
  readonly client: ImgbatchClient;
}

/**
 * `GET /v1/batches/:batchId/images/:name`: the bytes of a stored image, read through the store
 * (folder or private Blob container), so pages can show images by URL instead of embedding
 * them, and a browser fetches only the ones on screen.
 */
export function registerBatchImageRoutes(app: FastifyInstance, options: BatchImageRoutesOptions): void {
  app.get<{ Params: z.output<typeof imageParamsSchema> }>(
    '/v1/batches/:batchId/images/:name',
    {
      schema: {
        summary: 'The bytes of a stored image, read through the store (folder or private Blob container); the dashboard batch page shows images from here',
        params: routeSchemaOf(imageParamsSchema),
        security: [{ bearer: [] }, { session: [] }],
        response: {
          200: {
            description: 'The image (any other stored type is sent as an application/octet-stream download)',
            content: Object.fromEntries([...IMAGE_TYPES, 'application/octet-stream'].map((type) => [type, binary])),
          },
          400: componentRef('ValidationErrorBody', 'Not a valid batch id or image name'),
          401: componentRef('Error', 'Missing or wrong bearer token, and no session'),
          404: componentRef('Error', 'No stored image of that name (filtered, failed, pending, or no such batch)'),
          429: componentRef('Error', 'Too many failed authentications from this address; see Retry-After'),
        },
      },
    },
    async (request, reply) => {
      const { batchId, name } = request.params;
      const image = await options.client.image(`${batchId}/${name}`);
      if (image === null) return reply.status(404).send({ error: 'not_found', message: `no stored image ${name} in batch ${batchId}` });
      const isImage = IMAGE_TYPES.has(image.contentType);
      return (
        reply
          .header('content-type', isImage ? image.contentType : 'application/octet-stream')
          .header('x-content-type-options', 'nosniff')
          // Opened on its own, the response can run nothing, whatever its bytes are.
          .header('content-security-policy', "default-src 'none'; sandbox")
          // A key is written once per image; private: the response needed credentials.
          .header('cache-control', 'private, max-age=300')
          .header('content-disposition', isImage ? 'inline' : `attachment; filename="${name}.${image.extension}"`)
          .send(Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength))
      );
    },
  );
}
