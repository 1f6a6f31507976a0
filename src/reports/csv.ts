/*
 * CSV as RFC 4180 says: fields separated by commas, records ended by CRLF, a field quoted when it
 * holds a comma, a double quote, CR or LF, and quotes inside doubled.
 *
 * Spreadsheets run a cell that starts with = + - @ (or a tab or CR, which some strip first) as a
 * formula ("CSV injection", OWASP): a block titled `=HYPERLINK(…)` must stay text. Such cells get
 * a leading single quote, which spreadsheets show as text and do not evaluate.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export type CsvValue = string | number | null | undefined;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRecord(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
