/** The URL with any user name and password replaced, fit for logs and messages; cluster URLs too. */
export function redactRedisUrl(url: string): string {
  const scheme = /^[a-z+]+:\/\//i.exec(url)?.[0];
  if (scheme === undefined) return '[unparsable URL]';
  // A password may also come as a query parameter (`?password=`), which ioredis reads.
  const rest = url.slice(scheme.length).replace(/([?&]password=)[^&#]*/gi, '$1***');
  // As in parseRedisUrl: everything before the last `@` is credentials, encoded or not.
  const at = rest.lastIndexOf('@');
  if (at === -1) return `${scheme}${rest}`;
  const credentials = rest.slice(0, at);
  const colon = credentials.indexOf(':');
  const user = colon === -1 ? credentials : credentials.slice(0, colon);
  const hidden = `${user === '' ? '' : '***'}${colon === -1 ? '' : ':***'}`;
  return `${scheme}${hidden}@${rest.slice(at + 1)}`;
}
