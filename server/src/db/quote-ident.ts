// Owns writing a name into SQL text: a role, database, table or column name, always in double
// quotes with inner quotes doubled (unlike PostgreSQL's quote_ident, which leaves simple names
// bare), so no name can end the identifier and become SQL.
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
