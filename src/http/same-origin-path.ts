const BASE = 'http://same-origin.invalid';

function hasUnsafeCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x5c) return true;
  }
  return false;
}

/**
 * `candidate` as a path on this server (path, query and fragment), or `fallback` when it is
 * not one. Where to go after signing in comes from a form field, and sending a browser to a
 * URL an attacker chose (`//evil.example`, `/\evil.example`, `/.//evil.example`, `https://…`)
 * would make the sign-in page an open redirect.
 */
export function sameOriginPath(candidate: unknown, fallback: string): string {
  // Browsers drop tabs and newlines from URLs and read `\` as `/`: `/\t/evil.example` is `//evil.example` to them.
  if (typeof candidate !== 'string' || !candidate.startsWith('/') || hasUnsafeCharacter(candidate)) return fallback;
  let url: URL;
  try {
    url = new URL(candidate, BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== BASE) return fallback;
  // Dot segments are resolved above: `/.//evil.example` and `/%2e//evil.example` become
  // `//evil.example`, which a browser reads as another host (a scheme-relative URL).
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('//') || hasUnsafeCharacter(path) ? fallback : path;
}
