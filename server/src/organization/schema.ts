// Request schema of PATCH /api/organization: the organisation's own settings.
import { z } from 'zod';
import { name } from '../controls/fields.ts';

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
