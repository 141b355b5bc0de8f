// Request and response schemas of /api/organization: the organisation's own settings.
import { z } from 'zod';
import { name } from '../controls/fields.ts';
import { rowOf, txid } from '../http/responses.ts';
import { SYNCABLE_TABLES } from '../sync/shapes.ts';

export const organizationPatchSchema = z
  .object({
    name: name(200),
    /** A provider distance below this counts as Close (the Close/Remote line of the 2x2). */
    close_threshold_distance: z.number().positive().max(1000),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'Give at least one field to change.' });
export type OrganizationPatch = z.infer<typeof organizationPatchSchema>;

export const organizationRow = rowOf(SYNCABLE_TABLES.organizations!.columns);

/** The changed organisation, how many controls moved quadrant, and the transaction id. */
export const organizationPatchAnswer = z.object({ data: organizationRow, moved: z.number().int(), txid });
