import { createHash } from 'node:crypto';
import { escapeHtml } from '../gallery/escape-html.js';

/** Where the sign-in form posts; public, like /healthz. */
export const LOGIN_PATH = '/admin/login';

const STYLE = `
body { margin: 0; min-height: 100vh; display: grid; place-items: center; font: 15px/1.4 system-ui, sans-serif; background: #f4f5f8; color: #1d2330; }
form { width: min(380px, 90vw); padding: 24px; background: #fff; border: 1px solid #d9dde5; border-radius: 10px; display: grid; gap: 12px; }
h1 { margin: 0; font-size: 19px; }
p { margin: 0; color: #5d6678; }
.error { color: #a1231b; }
input, button { font: inherit; padding: 8px 10px; border-radius: 6px; border: 1px solid #c5cad5; }
button { background: #1d2330; color: #fff; border-color: #1d2330; cursor: pointer; }
`;

/** No script at all; only this stylesheet, and the form may post only back to this server. */
export const LOGIN_CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

/** Why the form is shown again: the last try had the wrong token, or this address failed too often. */
export type LoginProblem = { readonly kind: 'wrong-token' } | { readonly kind: 'too-many-failures'; readonly retryAfterSeconds: number };

export interface LoginPageOptions {
  /** The same-origin path to go to after signing in. */
  readonly next: string;
  /** Default: none, a first visit. */
  readonly problem?: LoginProblem;
}

function problemText(problem: LoginProblem): string {
  switch (problem.kind) {
    case 'wrong-token':
      return 'That is not a token this server takes.';
    case 'too-many-failures':
      return `Too many failed sign-ins from this address: try again in ${problem.retryAfterSeconds} s.`;
  }
}

/**
 * The page a browser gets instead of a dashboard page when it has no session: the API token
 * goes in a form POST body, never in a URL (where history, proxies and logs would keep it).
 */
export function renderLoginPage(options: LoginPageOptions): string {
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta name="referrer" content="no-referrer"><title>Sign in · imgbatch</title><style>${STYLE}</style></head>\n<body>` +
    `<form method="post" action="${LOGIN_PATH}"><h1>imgbatch dashboard</h1>` +
    `<p>Sign in with an API token: IMGBATCH_API_TOKEN, or a client token of the config file.</p>` +
    (options.problem === undefined ? '' : `<p class="error" role="alert">${escapeHtml(problemText(options.problem))}</p>`) +
    `<input type="password" name="token" aria-label="API token" placeholder="API token" autocomplete="current-password" required autofocus>` +
    `<input type="hidden" name="next" value="${escapeHtml(options.next)}">` +
    '<button type="submit">Sign in</button></form></body></html>\n'
  );
}
