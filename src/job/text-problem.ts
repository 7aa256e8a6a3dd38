/**
 * C0 control characters and DEL. Tab, line feed and carriage return are ordinary text in a
 * prompt (a quoted CSV cell may hold line breaks); every other one is a sign of a binary or
 * corrupted file, and NUL in particular ends strings in other languages' clients and tools.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_OR_LINE_BREAK = /[\u0000-\u001f\u007f]/;
// A surrogate half without its partner: JSON can carry one ("\ud800"), UTF-8 cannot encode it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// What a UTF-8 decoder puts in place of bytes that are not UTF-8.
const REPLACEMENT = '\ufffd';

function describeCharacter(text: string, index: number): string {
  const code = text.charCodeAt(index);
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} at character ${index + 1}`;
}

/**
 * Why a text value cannot be sent or stored as it is, or undefined when it can: bytes that
 * were not UTF-8 (decoded to U+FFFD), a lone surrogate, or a control character. Line breaks
 * and tabs are allowed only with `allowsLineBreaks` (prompts, free-form metadata).
 */
export function textProblem(text: string, options: { readonly allowsLineBreaks: boolean }): string | undefined {
  const replaced = text.indexOf(REPLACEMENT);
  if (replaced >= 0) return `is not valid UTF-8 (an undecodable byte sequence at character ${replaced + 1})`;
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate !== null) return `is not valid Unicode text (a lone surrogate, ${describeCharacter(text, surrogate.index)})`;
  const control = (options.allowsLineBreaks ? CONTROL : CONTROL_OR_LINE_BREAK).exec(text);
  if (control !== null) return `contains a control character (${describeCharacter(text, control.index)})`;
  return undefined;
}
