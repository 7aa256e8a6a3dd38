/**
 * Characters that make a spreadsheet read a cell as a formula (or, for tab and CR, that Excel
 * strips before doing so): a cell from a prompt or a CSV row such as `=HYPERLINK(...)` must
 * never run when someone opens an exported file (OWASP "CSV injection").
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell as exported text: neutralised with a leading `'` if it could be read as a formula, then quoted if needed. */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV line (RFC 4180 quoting, `\n` ending) of cells exported for people to open in a spreadsheet. */
export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\n`;
}
