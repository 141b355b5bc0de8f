// Owns the select list of the controls reads that run as prepared statements (readControl, the
// list): the API's columns by name, never `c.*`. A prepared `c.*` fails once a rolling migration
// adds a column ("cached plan must not change result type"), and the columns the API answers
// are the allow-listed ones anyway (sync/shapes.ts, the response schema's).
import { SYNCABLE_TABLES } from '../sync/shapes.ts';

/** `c.id, c.organization_id, …` in table order, for a statement aliasing controls as `c`. */
export const CONTROL_COLUMNS = Object.keys(SYNCABLE_TABLES.controls!.columns)
  .map((column) => `c.${column}`)
  .join(', ');
