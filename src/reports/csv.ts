/*
 * CSV as RFC 4180 says: fields separated by commas, records ended by CRLF, a field quoted when it
 * holds a comma, a double quote, CR or LF, and quotes inside doubled.
 *
 * Spreadsheets run a cell that starts with = + - @ (or a tab or CR, which some strip first) as a
 * formula ("CSV injection", OWASP): a block titled `=HYPERLINK(…)` must stay text. Such cells get
 * a leading single quote, which spreadsheets show as text and do not evaluate.
 *
 * Many spreadsheets (Excel in most European locales) split a .csv at `;` instead, and quotes
 * only count at the start of a cell, so `Review;=HYPERLINK(…)` would become a second cell that
 * runs. Inside a field, whatever follows a `;`, a tab or a line break is guarded the same way:
 * the file is safe read with either separator, and as `;`-separated output.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
/** A `;`, tab or line break where a spreadsheet may start a new cell, before a formula. */
const INNER_CELL_START = /([;\t\r\n])(?=[=+\-@\t\r"])/g;
const NEEDS_QUOTES = /[",;\t\r\n]/;

export type CsvValue = string | number | null | undefined;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  text = text.replace(INNER_CELL_START, "$1'");
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRecord(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
