// Owns the request and response schemas of /api/providers and /api/provider-links (requests
// strict: unknown fields, organization_id included, are refused).
import { z } from 'zod';
import { jsonObject, name, pagination, text, uuid } from '../controls/fields.ts';
import { rowOf } from '../http/responses.ts';
import { SYNCABLE_TABLES } from '../sync/shapes.ts';

export const PROVIDER_TYPES = ['internal', 'contractor', 'vendor', 'user'] as const;
export const RELATIONSHIP_TYPES = [
  'employs',
  'contracts',
  'supplies',
  'subcontracts',
  'manages',
  'supports',
] as const;

export const createProviderBody = z
  .object({
    id: uuid.optional(),
    name: name(200),
    provider_type: z.enum(PROVIDER_TYPES),
    contact_info: jsonObject.optional(),
    /** A provider that is the organisation's own people: distance 0, the start of every path. */
    is_user_themselves: z.boolean().optional(),
  })
  .strict();
export type CreateProviderInput = z.infer<typeof createProviderBody>;

export const updateProviderBody = z
  .object({
    name: name(200).optional(),
    provider_type: z.enum(PROVIDER_TYPES).optional(),
    contact_info: jsonObject.optional(),
    is_user_themselves: z.boolean().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change' });
export type UpdateProviderInput = z.infer<typeof updateProviderBody>;

export const listProvidersQuery = z
  .object({
    limit: pagination.limit,
    offset: pagination.offset,
    provider_type: z.enum(PROVIDER_TYPES).optional(),
    q: text(200).optional(),
  })
  .strict();
export type ListProvidersQuery = z.infer<typeof listProvidersQuery>;

const pathWeight = z.number().positive({ message: 'must be greater than 0' }).max(1000);

export const createLinkBody = z
  .object({
    id: uuid.optional(),
    from_provider_id: uuid,
    to_provider_id: uuid,
    relationship_type: z.enum(RELATIONSHIP_TYPES),
    /** Cost of this hop; a control's distance is the cheapest sum from a self provider. */
    path_weight: pathWeight,
  })
  .strict()
  .refine((body) => body.from_provider_id !== body.to_provider_id, {
    message: 'a link must join two different providers',
    path: ['to_provider_id'],
  });
export type CreateLinkInput = z.infer<typeof createLinkBody>;

export const updateLinkBody = z
  .object({ relationship_type: z.enum(RELATIONSHIP_TYPES).optional(), path_weight: pathWeight.optional() })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one field to change' });
export type UpdateLinkInput = z.infer<typeof updateLinkBody>;

export const listLinksQuery = z
  .object({
    limit: pagination.limit,
    offset: pagination.offset,
    /** Links that start or end at this provider. */
    provider_id: uuid.optional(),
  })
  .strict();
export type ListLinksQuery = z.infer<typeof listLinksQuery>;

export const providerRow = rowOf(SYNCABLE_TABLES.control_providers!.columns);

/** provider_networks is not synced: its columns are named here. */
export const linkRow = rowOf({
  id: 'uuid',
  organization_id: 'uuid',
  from_provider_id: 'uuid',
  to_provider_id: 'uuid',
  relationship_type: 'text',
  path_weight: 'numeric',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});

/** GET /api/providers/control-counts: one row per provider that is primary for any control. */
export const providerControlCount = z.object({
  provider_id: uuid,
  controls: z.number().int().positive(),
});
