import { z } from 'zod';

/** What an API token may do. `admin` may do everything, the routes of no other scope included (metrics, the queue board). */
export const API_SCOPES = ['enqueue', 'read', 'cancel', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** The name the IMGBATCH_API_TOKEN holder goes by: no client of the config file may take it. */
export const ADMIN_CLIENT_NAME = 'admin';

/** One client of the HTTP API, from the config file's `http.clients`. */
export interface ApiClientConfig {
  /** Recorded with the batches it makes; shown with its spend by `status`, metrics and the API. */
  readonly name: string;
  /** SHA-256 of the token, lower-case hex (`imgbatch tokens hash`); the token itself is never in the file. */
  readonly tokenSha256: string;
  readonly scopes: readonly ApiScope[];
  /** Batch ids it may touch start with this; default: any batch. Batches it makes without an id get one that does. */
  readonly batchPrefix?: string | undefined;
  /** Its spend per UTC day, USD, past which enqueues are refused (429); default no cap. */
  readonly dailyCapUsd?: number | undefined;
}

/** `http.clients` of the config file: names and token hashes unique, names in the shape Redis fields and metric labels take. */
export const apiClientsSchema = z
  .array(
    z.strictObject({
      name: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be 1–64 letters, digits, "_" or "-", starting with a letter or digit')
        .refine((name) => name !== ADMIN_CLIENT_NAME, `"${ADMIN_CLIENT_NAME}" is the name of the IMGBATCH_API_TOKEN holder; pick another`),
      tokenSha256: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the token in hex, 64 characters (`imgbatch tokens hash`), never the token itself')
        .transform((hex) => hex.toLowerCase()),
      scopes: z.array(z.enum(API_SCOPES, `must be one of ${API_SCOPES.join(', ')}`)).min(1, `must list at least one of ${API_SCOPES.join(', ')}`),
      batchPrefix: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit (batch ids start so)')
        .optional(),
      dailyCapUsd: z.number().min(0, 'must be an amount in USD, 0 or more').optional(),
    }),
  )
  .superRefine((clients, ctx) => {
    const seenNames = new Set<string>();
    const seenHashes = new Set<string>();
    clients.forEach((client, index) => {
      if (seenNames.has(client.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `${JSON.stringify(client.name)} is used by another client` });
      if (seenHashes.has(client.tokenSha256)) ctx.addIssue({ code: 'custom', path: [index, 'tokenSha256'], message: 'is the token of another client; each client needs its own' });
      seenNames.add(client.name);
      seenHashes.add(client.tokenSha256);
    });
  });
