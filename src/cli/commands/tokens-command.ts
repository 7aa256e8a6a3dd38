import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { defineCommand } from 'citty';
import { API_SCOPES, apiClientsSchema } from '../../config/api-client-config.js';
import { ValidationError } from '../../errors/imgbatch-error.js';
import { hashApiToken } from '../../http/hash-api-token.js';

/** Shorter tokens could be guessed from their hash in the config file (a fast hash, see hashApiToken). */
const MIN_TOKEN_LENGTH = 32;

const newCommand = defineCommand({
  meta: {
    name: 'new',
    description:
      'Make a random client token (256 bits). Prints the token (give it to the client; it is not kept anywhere) and the http.clients entry for the config file, which holds only its SHA-256.',
  },
  args: {
    name: { type: 'string', description: 'Client name, recorded with its batches', required: true },
    scopes: { type: 'string', description: `Comma-separated: ${API_SCOPES.join(', ')}`, required: true },
    prefix: { type: 'string', description: 'Batch-id prefix the client may touch (default: any batch)' },
    'daily-cap': { type: 'string', description: 'Spend per UTC day, USD, past which its enqueues are refused (default: none)' },
  },
  run({ args }) {
    const token = randomBytes(32).toString('hex');
    const entry = {
      name: args.name,
      tokenSha256: hashApiToken(token),
      scopes: args.scopes.split(',').map((scope) => scope.trim()),
      ...(args.prefix !== undefined && { batchPrefix: args.prefix }),
      ...(args['daily-cap'] !== undefined && { dailyCapUsd: Number(args['daily-cap']) }),
    };
    // The same check as the config file gets, so the entry printed is one the loader takes.
    const checked = apiClientsSchema.safeParse([entry]);
    if (!checked.success) throw new ValidationError(checked.error.issues.map((issue) => ({ field: String(issue.path.at(-1) ?? 'client'), reason: issue.message })));
    process.stdout.write(`token: ${token}\n\n# under http.clients in the config file:\n- ${JSON.stringify(checked.data[0])}\n`);
  },
});

const hashCommand = defineCommand({
  meta: {
    name: 'hash',
    description: `Print the SHA-256 (hex) of a token read from standard input, for tokenSha256 in http.clients. Tokens must be random and at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 32\`).`,
  },
  args: {},
  async run() {
    const token = (await text(process.stdin)).trim();
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new ValidationError([{ field: 'token', reason: `is ${token.length} characters; a client token must be random and at least ${MIN_TOKEN_LENGTH} (e.g. \`openssl rand -hex 32\`)` }]);
    }
    process.stdout.write(`${hashApiToken(token)}\n`);
  },
});

export const tokensCommand = defineCommand({
  meta: { name: 'tokens', description: "Client tokens of the HTTP API (the config file's http.clients): make one, or hash one you have." },
  subCommands: { new: newCommand, hash: hashCommand },
});
