// Owns the spreadsheet-safety rule shared by export and import. A cell that starts with = + - @
// (or a tab or carriage return) is a formula to Excel and LibreOffice, so export prefixes it
// with an apostrophe (OWASP "CSV injection"); import removes exactly that prefix again, so an
// exported register imports back unchanged.
const FORMULA_START = /^[=+\-@\t\r]/;

export function protectCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function unprotectCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}
