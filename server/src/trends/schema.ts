// Request and response schemas of the trends routes.
import { z } from 'zod';

export const quadrantTrendQuery = z
  .object({
    /** How many UTC days, ending today. */
    days: z.coerce.number().int().min(1).max(366).default(90),
  })
  .strict();

const count = z.number().int().min(0);

export const quadrantTrendResponse = z.object({
  data: z.array(
    z.object({
      day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      self: count,
      specialist: count,
      service: count,
      strange: count,
    }),
  ),
});
