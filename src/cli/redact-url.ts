/** A URL fit to print: any user name and password (a Redis access key, say) replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = parsed.username === '' ? '' : '***';
    parsed.password = parsed.password === '' ? '' : '***';
    return parsed.toString();
  } catch {
    return '[unparsable URL]';
  }
}
