/**
 * Spreadsheet formula injection (CSV injection): a cell that begins with `=`, `+`, `-` or `@` is
 * evaluated as a formula by Excel, LibreOffice and Google Sheets when a CSV/TSV file is opened, and
 * a leading tab or carriage return can hide such a prefix. Names in exported tables come from the
 * user's files (gene, sample and row names), so they are neutralised as the OWASP guidance says:
 * a single quote is put in front, which spreadsheets show as text and do not evaluate
 * (owasp.org/www-community/attacks/CSV_Injection). Numbers are never passed through here: a
 * negative value must stay a number.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * The name as it was before `neutraliseFormula` (for reading back a table we exported): a leading
 * quote is dropped only where neutraliseFormula would have put it.
 */
export function restoreNeutralised(text: string): string {
  return text.startsWith("'") && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}
