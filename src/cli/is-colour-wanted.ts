/**
 * Whether text for this stream may carry colour: only on a terminal, and not when NO_COLOR is
 * set to anything but "" (https://no-color.org) or TERM is `dumb`. citty (0.2) colours its help
 * unless NO_COLOR is exactly "1", TERM is dumb, or TEST or CI is set, whatever the stream is;
 * the CLI strips its colour when this says no.
 */
export function isColourWanted(stream: { readonly isTTY?: boolean | undefined }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}
