import { createHash } from 'node:crypto';
import type { ApiScope } from '../config/api-client-config.js';
import { escapeHtml } from '../gallery/escape-html.js';

const STYLE = `
body { margin: 0; min-height: 100vh; display: grid; place-items: center; font: 15px/1.4 system-ui, sans-serif; background: #f4f5f8; color: #1d2330; }
main { width: min(460px, 90vw); padding: 24px; background: #fff; border: 1px solid #d9dde5; border-radius: 10px; display: grid; gap: 12px; }
h1 { margin: 0; font-size: 19px; }
p, ul { margin: 0; }
code { font-size: 14px; }
button { font: inherit; padding: 8px 10px; border-radius: 6px; background: #1d2330; color: #fff; border: 1px solid #1d2330; cursor: pointer; }
`;

/** No script; only this stylesheet, and the sign-out form may post only back to this server. */
export const SCOPE_MISSING_CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

/** What each scope lets a token do, in the words of the API it opens. */
function scopeText(scope: ApiScope): string {
  switch (scope) {
    case 'enqueue':
      return 'enqueue batches through the API: <code>POST /v1/batches</code> (JSON or CSV), <code>POST /v1/estimate</code>, resume and retry-failed';
    case 'read':
      return 'read batches: their status, results and images, and this dashboard';
    case 'cancel':
      return 'cancel batches: <code>DELETE /v1/batches/{batchId}</code>';
    case 'admin':
      return 'everything, the queue board, metrics and pausing deployments included';
  }
}

export interface ScopeMissingPageOptions {
  /** The signed-in client's name. */
  readonly name: string;
  readonly scopes: ReadonlySet<ApiScope>;
  /** The scope the page asked for needs. */
  readonly needed: ApiScope;
  /** Where the sign-out form posts. */
  readonly logoutPath: string;
}

/**
 * The page a browser signed in with a client token gets instead of a dashboard page its token
 * may not see (a token for enqueueing only): what the token may do, and a way to sign in with
 * another. A JSON 403 in a browser tab would leave the person stuck on it, signed in.
 */
export function renderScopeMissingPage(options: ScopeMissingPageOptions): string {
  const may = [...options.scopes].map((scope) => `<li><code>${scope}</code>: ${scopeText(scope)}</li>`).join('');
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta name="referrer" content="no-referrer"><title>Not for this token · imgbatch</title><style>${STYLE}</style></head>\n<body><main>` +
    `<h1>imgbatch dashboard</h1>` +
    `<p>You are signed in as client <strong>${escapeHtml(options.name)}</strong>, whose token does not hold the <code>${options.needed}</code> scope this page needs.</p>` +
    `<p>The token may:</p><ul>${may}</ul>` +
    `<p>Sign in with a token that holds <code>${options.needed}</code> to see this page.</p>` +
    `<form method="post" action="${escapeHtml(options.logoutPath)}"><button type="submit">Sign out</button></form>` +
    '</main></body></html>\n'
  );
}
